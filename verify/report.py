"""Citation report: build a `Report` from the store for one run, then render it in any format.
Over 300 lines: it gathers every part of the one report model (claims, decisions, citations, publication); the renderers live in report_*.py.

`render_report(store, run_id, fmt, **options) -> bytes` is the one entry point the CLI and the
dashboard call. Building reads everything a run stored (claims, verdicts, evidence, review events)
in a few bulk queries, so a 500-claim report builds in well under a second.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import stat
from bisect import bisect_right
from collections import Counter
from pathlib import Path

from .errors import VerifyError
from .models import Article, Citation, Claim, Run, SourceMeta, Verdict, utcnow
from .models import ReviewCitation  # noqa: F401 (reviewer citations, issue 11)
from .report_model import (ClaimEntry, CitationRef, Completeness, Header, MachineTotals, MachineVerdict,
                           PromptVersion, Report, ReportOptions, ReviewDecision, ReviewTotals, SourceEntry)
from .model_signals import confidence_kind, rationale_echo, shown_confidence
from .report_common import citation_numbers
from .claim_edits import effective_claims
from .review import Decision, decisions
from .store import Store
from .text import split_sentences
from .vocabulary import DEMO_GRADE_WARNING, run_is_demo_grade
from .vocabulary import REPORT_FORMATS as FORMATS  # fmt -> (suffix, MIME type): one table for the CLI and the dashboard

RENDER_OPTIONS = {"bom", "organization", "publish_url", "publish", "scale", "warnings"}


# --- entry points ---------------------------------------------------------------------------------


def render_report(store: Store, run_id: str, fmt: str, **options) -> bytes:
    """The report of `run_id` as bytes in `fmt` (md | html | json | csv | claimreview).

    Options: only_reviewed, only_approved, include_rejected (filtering); bom (csv, on by default); organization,
    publish_url (claimreview); generated_at (pins the report time, for reproducible files).
    """
    if fmt not in FORMATS:
        raise VerifyError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    render_opts = {k: options.pop(k) for k in list(options) if k in RENDER_OPTIONS}
    generated_at = options.pop("generated_at", None)
    try:
        report_options = ReportOptions(**options)
    except ValueError as exc:
        raise VerifyError(f"invalid report options {sorted(options)}: {exc}") from exc
    report = build_report(store, run_id, report_options, generated_at=generated_at)
    if fmt == "claimreview":  # claimant, claim date, appearance, rating name: set per claim (verify/publication.py)
        from .publication import publication_details
        from .rating_scale import load_scale

        render_opts["details"] = publication_details(store, run_id)
        render_opts.setdefault("scale", load_scale())
    return render(report, fmt, **render_opts)


def render(report: Report, fmt: str, *, bom: bool = True, organization: str = "", publish_url: str = "",
           publish: bool = False, scale=None, details=None, warnings: list[str] | None = None) -> bytes:
    """Render an already built report (tests render hand-normalised reports through this).

    ClaimReview only: `publish` refuses an export that lacks any property publishing needs (naming them);
    `scale` is the rating scale, `details` the claims' publication details; `warnings`, when a list, gets
    what the reader should know about the export (placeholder URL, claims left out)."""
    from . import report_claimreview, report_csv, report_html, report_md

    if fmt == "md":
        return report_md.render_markdown(report).encode("utf-8")
    if fmt == "html":
        return report_html.render_html(report).encode("utf-8")
    if fmt == "json":
        return (report.model_dump_json(indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        return report_csv.render_csv(report, bom=bom)
    if fmt == "claimreview":
        if publish:
            report_claimreview.check_publishable(report, organization, publish_url, scale, details)
        items = report_claimreview.claim_reviews(report, organization=organization, publish_url=publish_url,
                                                 scale=scale, details=details, warnings=warnings)
        return (script_safe_json(items) + "\n").encode("utf-8")
    raise VerifyError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_report(path: Path, data: bytes) -> None:
    """Write a report file whole or not at all: the bytes go to a temporary file in the same folder,
    which then replaces the target, so a full disk or a crash never leaves a truncated report over an
    earlier one. Device files and pipes (/dev/stdout, a FIFO) are written directly: never replaced."""
    target = Path(os.path.realpath(path))
    existed = target.is_file()
    try:
        if target.is_dir():
            raise VerifyError(f"{path} is a folder: give a file name, e.g. -o {Path(path) / 'report.md'}")
        if target.exists() and not existed:
            with open(target, "wb", buffering=0) as device:
                _write_all(device.fileno(), data)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, data)
    except OSError as exc:
        raise VerifyError(write_error(str(path), exc, kept=existed)) from exc


def _replace(target: Path, data: bytes) -> None:
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to any new file
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)  # on disk before the rename makes it the report
        finally:
            os.close(fd)
        if target.is_file():  # a report someone made world-readable (or private) stays so
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_error(where: str, exc: OSError, kept: bool = False) -> str:
    """One line saying why a report could not be written and what to do."""
    earlier = f"; the earlier {where} is unchanged" if kept else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the disk to write {where}: free some space or write elsewhere with -o{earlier}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {where}: {exc.strerror.lower()}; choose another file with -o{earlier}"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"cannot write {where}: part of that path is a file, not a folder"
    return f"cannot write {where}: {exc.strerror or exc}{earlier}"


def script_safe_json(value) -> str:
    """JSON that stays inert when pasted into <script type="application/ld+json">, as JSON-LD usually is:
    < > & are written as \\u escapes (same JSON value), so "</script>" in a note cannot close the tag."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_report(store: Store, run_id: str, options: ReportOptions | None = None,
                 generated_at: str | None = None) -> Report:
    options = options or ReportOptions()
    run = store.get_run(run_id)
    article = store.get_article(run.article_id)
    # Claims as people left them (verify/claim_edits.py): current wording, claims added by hand; merged
    # and not check-worthy claims are out of the report and its counts.
    claims = [item.claim for item in effective_claims(store, run_id).values() if item.counted]
    verdicts = store.get_verdicts(run_id)
    decided = decisions(store, run_id)
    library = SourceLibrary.load(store, run_id)
    finder = SentenceFinder(article)
    shown = [c for c in claims if _keep(decided[c.id], options)]
    entries = [_claim_entry(c, verdicts.get(c.id), decided[c.id], finder, library, options, article.language)
               for c in shown]
    bibliography, others = library.entries()
    header = _header(store, run, article, claims, verdicts, decided, library, generated_at, len(entries))
    return Report(header=header, options=options, claims=entries, bibliography=bibliography, other_sources=others)


# --- claims ---------------------------------------------------------------------------------------


def _keep(decision: Decision, options: ReportOptions) -> bool:
    if options.only_approved:
        return decision.state == "approved"
    if options.only_reviewed:
        return decision.state in ("approved", "rejected")
    return True


def _claim_entry(claim: Claim, verdict: Verdict | None, decision: Decision, finder: "SentenceFinder",
                 library: "SourceLibrary", options: ReportOptions, language: str) -> ClaimEntry:
    number = claim.index + 1
    machine = _machine(verdict, claim)
    rejected = decision.state == "rejected"
    if rejected and not options.include_rejected:
        # The reviewer said the machine was wrong: its rationale and citations would mislead readers.
        machine, cited = MachineVerdict(status="omitted", model=machine.model, prompt=machine.prompt), []
    elif verdict is not None and verdict.status == "ok":  # numbers are handed out only for citations shown
        cited = list(verdict.citations)
    else:
        cited = []
    reviewer_cited = decision.citations  # the reviewer citations in force (verify/review.py, issue 11)
    numbers = citation_numbers(cited + reviewer_cited)
    citations = [library.cite(c, number, numbers[i], rejected=rejected, stance=c.stance or "")
                 for i, c in enumerate(cited)]
    by_reviewer = [library.cite(c, number, numbers[len(cited) + i], stance=c.stance)
                   for i, c in enumerate(reviewer_cited)]
    return ClaimEntry(
        number=number, claim_id=claim.id, text=claim.text, text_en=english_form(claim, language), quote=claim.quote,
        article_sentence=finder.sentence_of(claim), span=claim.span, anchor=claim.anchor, machine=machine,
        review=ReviewDecision(state=decision.state, label=decision.label, reviewer=decision.reviewer or "",
                              decided_at=decision.decided_at or "", note=decision.note, citations=by_reviewer),
        citations=citations,
    )


def english_form(claim: Claim, language: str) -> str:
    """The claim's English form, or '' when none was made: extraction copies the claim into `text_en` when
    it did not translate it, and a French sentence must not be passed off as the English form."""
    if claim.text_en == claim.text and not language.lower().startswith("en"):
        return ""
    return claim.text_en


def _machine(verdict: Verdict | None, claim: Claim) -> MachineVerdict:
    if verdict is None:
        return MachineVerdict(status="not_judged")
    prompt = f"{verdict.prompt.id}/{verdict.prompt.version}"
    if verdict.status == "error":  # never invent a label for a failed verdict
        return MachineVerdict(status="error", error=verdict.error or "the model gave no valid verdict",
                              model=verdict.model, prompt=prompt, created_at=verdict.created_at,
                              evidence_flags=verdict.evidence_flags)
    return MachineVerdict(status="ok", label=verdict.label,
                          confidence=shown_confidence(verdict.model, prompt, verdict.confidence),
                          confidence_kind=confidence_kind(verdict.model, prompt, verdict.confidence),
                          rationale=verdict.rationale,
                          rationale_echo=rationale_echo(verdict.rationale, [claim.text, claim.text_en], prompt),
                          model=verdict.model, prompt=prompt,
                          created_at=verdict.created_at, evidence_flags=verdict.evidence_flags)


class SentenceFinder:
    """The article sentence(s) a claim's span falls in, found by bisecting sentence offsets."""

    def __init__(self, article: Article):
        self.text = article.text
        self.spans = split_sentences(article.text, article.language)
        self.starts = [s for s, _ in self.spans]

    def sentence_of(self, claim: Claim) -> str:
        if claim.span is None:
            return ""
        start, end = claim.span.start, claim.span.end
        i = max(0, bisect_right(self.starts, start) - 1)
        hits = []
        while i < len(self.spans) and self.spans[i][0] < end:
            if self.spans[i][1] > start:
                hits.append(self.spans[i])
            i += 1
        if not hits:  # the span sits between sentences (whitespace): show the quote itself
            return claim.quote
        return self.text[hits[0][0]:hits[-1][1]]


class SourceLibrary:
    """Sources retrieved in the run, and the citation numbers handed out as claims are rendered.

    Numbers follow the order of first citation in the shown claims, so [3] means the same source
    everywhere in the report and each source appears once in the bibliography.
    """

    def __init__(self, by_chunk: dict[str, SourceMeta], by_source: dict[str, SourceMeta], retrieved: Counter):
        self.by_chunk, self.by_source, self.retrieved = by_chunk, by_source, retrieved
        self.numbers: dict[str, int] = {}
        self.cited_by: dict[str, list[int]] = {}

    @classmethod
    def load(cls, store: Store, run_id: str) -> "SourceLibrary":
        by_chunk: dict[str, SourceMeta] = {}
        by_source: dict[str, SourceMeta] = {}
        pairs = set()
        for row in store.retrieved_sources(run_id):  # a damaged row is named in store.problems
            by_chunk.setdefault(row.chunk_id, row.source)
            by_source.setdefault(row.source.source_id, row.source)
            pairs.add((row.claim_id, row.source.source_id))
        return cls(by_chunk, by_source, Counter(source for _, source in pairs))

    def meta(self, chunk_id: str, source_id: str) -> SourceMeta:
        found = self.by_chunk.get(chunk_id) or self.by_source.get(source_id)
        return found or SourceMeta(source_id=source_id, title=source_id)

    def cite(self, citation: Citation | ReviewCitation, claim_number: int, citation_number: int, rejected: bool = False,
             stance: str = "") -> CitationRef:
        # A reviewer may cite a stored source never retrieved for the run: it carries its own metadata.
        meta = self.by_chunk.get(citation.chunk_id) or getattr(citation, "source", None) or \
            self.meta(citation.chunk_id, citation.source_id)
        self.by_source.setdefault(meta.source_id, meta)
        number = self.numbers.setdefault(meta.source_id, len(self.numbers) + 1)
        claims = self.cited_by.setdefault(meta.source_id, [])
        if claim_number not in claims:
            claims.append(claim_number)
        return CitationRef(citation_number=citation_number, number=number, stance=stance, rejected=rejected,
                           text=citation.text, source_id=meta.source_id, chunk_id=citation.chunk_id,
                           sentence_index=citation.sentence_index, start=citation.start, end=citation.end,
                           title=meta.title, publisher=meta.publisher, published=meta.published, url=meta.url)

    def entries(self) -> tuple[list[SourceEntry], list[SourceEntry]]:
        def entry(meta: SourceMeta) -> SourceEntry:
            return SourceEntry(source_id=meta.source_id, number=self.numbers.get(meta.source_id), title=meta.title,
                               publisher=meta.publisher, published=meta.published, url=meta.url,
                               language=meta.language, cited_by=self.cited_by.get(meta.source_id, []),
                               retrieved_for=self.retrieved.get(meta.source_id, 0))

        cited = sorted(self.numbers, key=self.numbers.get)
        others = sorted((m for sid, m in self.by_source.items() if sid not in self.numbers),
                        key=lambda m: (m.title.casefold(), m.source_id))
        return [entry(self.by_source[sid]) for sid in cited], [entry(m) for m in others]


# --- header ---------------------------------------------------------------------------------------


def _header(store: Store, run: Run, article: Article, claims: list[Claim], verdicts: dict[str, Verdict],
            decided: dict[str, Decision], library: SourceLibrary, generated_at: str | None, shown: int) -> Header:
    machine = MachineTotals()
    for claim in claims:
        verdict = verdicts.get(claim.id)
        key = "not_judged" if verdict is None else verdict.label.value if verdict.label else "failed"
        setattr(machine, key, getattr(machine, key) + 1)
    review = ReviewTotals(**Counter(d.state for d in decided.values()))
    reviewed_labels = Counter(d.label for d in decided.values() if d.reviewed and d.label)
    reviewed = review.approved + review.rejected
    models = sorted({v.model for v in verdicts.values()})
    demo = run_is_demo_grade(run.summary, [run.settings.model, *models])
    return Header(
        run_id=run.id, run_date=run.created_at, run_status=run.status, generated_at=generated_at or utcnow(),
        article_id=article.id, article_title=article.title, article_source=article.source,
        article_url=article.source if article.source.startswith(("http://", "https://")) else "",
        article_language=article.language, model=run.settings.model, verdict_models=models,
        embedder=run.settings.embedder, prompts=_prompts(store, run, verdicts), demo_grade=demo,
        warning=DEMO_GRADE_WARNING if demo else "", machine_totals=machine, review_totals=review,
        reviewed_labels=dict(sorted(reviewed_labels.items())),
        completeness=Completeness(claims=len(claims), reviewed=reviewed, complete=bool(claims) and reviewed == len(claims),
                                  percent=round(100.0 * reviewed / len(claims), 1) if claims else 0.0),
        sources_retrieved=len(library.retrieved), sources_cited=len(library.numbers),
        claims_total=len(claims), claims_shown=shown,
        injection_flagged=sum(bool(v.suspicious_citations) for v in verdicts.values()),
    )


def _prompts(store: Store, run: Run, verdicts: dict[str, Verdict]) -> list[PromptVersion]:
    """Prompt versions from the run settings, with hashes from the verdicts and the LLM call log."""
    found: dict[tuple[str, str], str] = {}
    for spec in (run.settings.extract_prompt, run.settings.judge_prompt):
        name, _, version = spec.partition("/")
        found[(name, version)] = ""
    for verdict in verdicts.values():
        found[(verdict.prompt.id, verdict.prompt.version)] = verdict.prompt.sha256
    for ref in store.prompt_refs(run.id):
        found[(ref.id, ref.version)] = found.get((ref.id, ref.version)) or ref.sha256
    return [PromptVersion(id=i, version=v, sha256=h) for (i, v), h in sorted(found.items())]
