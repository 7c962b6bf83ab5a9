"""The run: ingest sources, extract claims, retrieve evidence, judge, store. Nothing is lost on failure:
each claim's evidence and verdict are committed together as soon as it is judged, and a resumed run
judges only the claims that have no ok verdict yet (cached LLM replies make re-runs cheap). A run
whose claim extraction failed is stored as `failed`, never as a finished run with no claims."""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol

from .config import Settings
from .documents import load_document
from .embed import build_embedder
from .errors import VerifyError
from .extract import extract_abstractive, extract_extractive, merge_claims
from .ingest import IngestReport, ingest
from .judge import default_judge_prompt, judge_claim
from .judge_calibrated import judge_prompt_of, with_english_forms
from .backends import build_chat_model
from .structured import StructuredLLM
from .models import Article, Claim, Evidence, Run, RunSettings, Verdict, utcnow
from .prompts import load_prompt, parse_spec
from .proposals import propose
from .retrieve import Query, Retriever
from .store import Store
from .vectorstore import VectorStore
from .vocabulary import is_demo_grade


class ProgressSink(Protocol):
    def start(self, stage: str, total: int | None) -> None: ...
    def advance(self, stage: str, n: int = 1) -> None: ...
    def note(self, message: str) -> None: ...


class SilentProgress:
    def start(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, stage: str, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass


@dataclass
class RunOutcome:
    run: Run
    article: Article
    claims: list[Claim]
    verdicts: dict[str, Verdict]
    ingest: IngestReport | None
    extraction_failures: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"SUPPORTED": 0, "REFUTED": 0, "NOT_ENOUGH_INFO": 0, "failed": 0}
        for verdict in self.verdicts.values():
            counts[verdict.label.value if verdict.label else "failed"] += 1
        return counts


def extraction_summary(failures: list[str]) -> dict:
    """What the run summary says about extraction: how many windows failed and why (the latest try)."""
    return {"extraction_failures": len(failures), "extraction_errors": failures}


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("r%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def read_article(location: str, settings: Settings) -> Article:
    doc = load_document(location, max_bytes=settings.max_input_bytes, timeout_s=settings.url_timeout_s)
    return Article.from_text(doc.text, title=doc.meta.title, language=doc.meta.language, source=location)


@dataclass(frozen=True)
class JudgeJob:
    claim: Claim
    evidence: list[Evidence]
    language: str  # the language the claim is written in, told to the judge


@dataclass(frozen=True)
class Judged:
    claim: Claim
    evidence: list[Evidence]
    verdict: Verdict
    wall_s: float  # judging time of this claim, retries included


def judge_workers(settings: Settings) -> int:
    """One llama.cpp context serves one request at a time; remote backends take `concurrency`."""
    return 1 if settings.is_local else max(1, settings.concurrency)


def judge_claims(jobs: list[JudgeJob], llm: StructuredLLM, prompt, store: Store, workers: int,
                 on_done: Callable[[Judged], None] = lambda judged: None) -> list[Judged]:
    """The judging step of `verify run` and `verify eval`: each claim judged against its evidence,
    `workers` at a time, and stored with that evidence as soon as it is judged (a crash loses only
    the claims being judged). Results come back in job order."""

    def work(job: JudgeJob) -> Judged:
        started = time.perf_counter()
        verdict = judge_claim(job.claim, job.evidence, llm, prompt, job.language)
        store.save_judgement(job.claim, job.evidence, verdict)
        judged = Judged(job.claim, job.evidence, verdict, time.perf_counter() - started)
        on_done(judged)
        return judged

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, jobs))


class Pipeline:
    """Wires the stages to the configured backends; one instance can serve several runs."""

    def __init__(self, settings: Settings, store: Store | None = None, chat=None, model_id: str | None = None,
                 progress: ProgressSink | None = None):
        self.settings = settings
        self.progress = progress or SilentProgress()
        self.store = store or Store(settings.db_path)
        if chat is None:
            chat, model_id = build_chat_model(settings)
        self.llm = StructuredLLM(chat, model_id or "unknown", settings, calls=self.store.call_log())
        self.embedder = build_embedder(settings.embedder)
        self.vstore = VectorStore(settings.vectorstore, settings.collection, settings.embedder)
        self.retriever = Retriever(self.vstore, self.embedder, top_k=settings.top_k)
        extract_spec = "select_claims/v1" if settings.extractive else "extract_claims/v2"
        self.extract_prompt = load_prompt(*parse_spec(extract_spec))
        self.judge_prompt = judge_prompt_of(self.llm) or default_judge_prompt()  # stance prompts for local:qwen

    # --- stages ------------------------------------------------------------------------------------------

    def ingest(self, locations: list[str]) -> IngestReport:
        self.progress.start("ingest", None)
        first = True

        def on_progress(done: int, total: int, name: str) -> None:
            nonlocal first
            if first:
                self.progress.start("ingest", total)
                first = False
            elif done:
                self.progress.advance("ingest")

        report = ingest(locations, self.vstore, self.embedder, max_bytes=self.settings.max_input_bytes,
                        timeout_s=self.settings.url_timeout_s, on_progress=on_progress)
        for location, reason in report.failed:
            self.progress.note(f"[skipped] {reason}" if location in reason else f"[skipped] {location}: {reason}")
        return report

    def run(self, article_location: str, sources: list[str] | None = None) -> RunOutcome:
        report = self.ingest(sources) if sources else None
        if self.vstore.count() == 0:
            self.progress.note("the source library is empty: every claim will lack evidence "
                               "(add sources with --sources or `verify ingest`)")
        article = read_article(article_location, self.settings)
        self.store.save_article(article)
        run = Run(id=new_run_id(), article_id=article.id, created_at=utcnow(), status="running",
                  settings=self.run_settings())
        self.store.create_run(run)
        outcome = self.extract_and_judge(run, article, kept=[])
        outcome.ingest = report
        return outcome

    def extract_and_judge(self, run: Run, article: Article, kept: list[Claim]) -> RunOutcome:
        """Extract (again, on resume: `kept` claims stay as they are), judge what has no ok verdict.
        A window whose extraction failed makes the run `failed` (claims from the other windows are
        still judged); `--resume` extracts again."""
        first_call = self.store.last_call_id()
        extraction = self.extract(run, article, kept)
        outcome = self.judge_all(run, article, kept + extraction.claims)
        outcome.extraction_failures = extraction.failures
        return self.finish(outcome, first_call)

    def extract(self, run: Run, article: Article, kept: list[Claim]):
        self.progress.start("extract", None)
        extract = extract_extractive if self.settings.extractive else extract_abstractive
        extraction = extract(article, self.llm, self.extract_prompt, run.id,
                             self.settings.window_chars, self.settings.window_overlap)
        self.progress.advance("extract")
        for failure in extraction.failures:
            self.progress.note(f"[extraction failed] {failure}")
        # Claims without an English form get the model's (local:qwen), the second retrieval query.
        extraction.claims = with_english_forms(merge_claims(kept, extraction.claims, run.id), article.language,
                                               self.llm)
        extraction.claims = propose(extraction.claims, article)  # claimant, date, appearance: for an editor to confirm
        self.store.save_claims(extraction.claims)
        # Said at once, so a run killed while judging still shows its extraction failed.
        self.store.finish_run(run.id, "running", {**run.summary, **extraction_summary(extraction.failures)})
        return extraction

    def resume(self, run_id: str) -> RunOutcome:
        """Judge the claims of a run that have no ok verdict. A run whose extraction failed, or that
        was killed before its claims were stored, is extracted again: claims already stored keep
        their ids, new ones are added, and windows that succeeded before come from the cache."""
        run = self.store.get_run(run_id)
        current = self.run_settings()
        for name in ("model", "embedder", "judge_prompt", "top_k"):
            if getattr(run.settings, name) != getattr(current, name):
                self.progress.note(f"[resume] this run used {name} {getattr(run.settings, name)!r}; "
                                   f"now {getattr(current, name)!r}: cached replies will not match and the "
                                   f"remaining claims are judged with the new setting")
        article = self.store.get_article(run.article_id)
        claims = self.store.get_claims(run_id)
        self.store.finish_run(run_id, "running", run.summary)
        if run.summary.get("extraction_failures") or (not claims and run.status != "done"):
            return self.extract_and_judge(run, article, kept=claims)
        first_call = self.store.last_call_id()
        return self.finish(self.judge_all(run, article, claims), first_call)

    def judge_all(self, run: Run, article: Article, claims: list[Claim]) -> RunOutcome:
        done = {cid: v for cid, v in self.store.get_verdicts(run.id).items() if v.status == "ok"}
        todo = [c for c in claims if c.id not in done]
        self.progress.start("retrieve", len(todo))
        evidence_sets = self.retriever.retrieve_many(
            [[Query(c.text, article.language), Query(c.text_en, "en")] for c in todo]) if todo else []
        self.progress.advance("retrieve", len(todo))
        self.progress.start("judge", len(todo))
        verdicts = dict(done)
        jobs = [JudgeJob(c, ev, article.language) for c, ev in zip(todo, evidence_sets)]
        for judged in judge_claims(jobs, self.llm, self.judge_prompt, self.store, judge_workers(self.settings),
                                   on_done=lambda judged: self.progress.advance("judge")):
            verdicts[judged.verdict.claim_id] = judged.verdict
        return RunOutcome(run=run, article=article, claims=claims, verdicts=verdicts, ingest=None)

    def rejudge(self, run_id: str, claim_id: str, actor: str) -> Judged:
        """Retrieve and judge one claim again with this pipeline's model, as the claim reads now (its
        edited wording included). The new verdict replaces the shown one; the old one is kept whole in
        the claim's `rejudge` event (verify/claim_edits.py), written in the same transaction."""
        from .claim_edits import effective_claim, record_rejudge

        started = time.perf_counter()
        run = self.store.get_run(run_id)
        article = self.store.get_article(run.article_id)
        claim = effective_claim(self.store, run_id, claim_id).claim
        evidence = self.retriever.retrieve_many([[Query(claim.text, article.language), Query(claim.text_en, "en")]])[0]
        verdict = judge_claim(claim, evidence, self.llm, self.judge_prompt, article.language)
        record_rejudge(self.store, run_id, claim, evidence, verdict, actor)
        return Judged(claim, evidence, verdict, time.perf_counter() - started)

    def finish(self, outcome: RunOutcome, first_call: int) -> RunOutcome:
        """Store the summary. Usage comes from the call log: what was sent to the model (failed tries
        included) and what the cache answered, for the whole run and for this invocation."""
        failures = outcome.extraction_failures
        summary = {
            **outcome.run.summary,
            "claims": len(outcome.claims),
            "flagged_spans": sum(1 for c in outcome.claims if c.flagged),
            "verdicts": outcome.counts,
            **extraction_summary(failures),
            "usage": self.store.call_usage(outcome.run.id).model_dump(),
            "usage_this_invocation": self.store.call_usage(outcome.run.id, after_id=first_call).model_dump(),
            "demo_grade_model": is_demo_grade(self.settings.model),
        }
        self.store.finish_run(outcome.run.id, "failed" if failures else "done", summary)
        outcome.run = self.store.get_run(outcome.run.id)
        self.remember(outcome.run.id)
        return outcome

    def remember(self, run_id: str) -> None:
        """Claim memory: match the run's claims with claims reviewed in earlier runs, so the dashboard can
        suggest those decisions. Failing here costs the suggestions only, never the run, and is said."""
        from .memory import compute_matches

        try:
            found = compute_matches(self.store, run_id, self.settings.embedder)
        except VerifyError as exc:
            self.progress.note(f"warning: claim memory not updated ({exc}); retry with: verify memory {run_id}")
            return
        if found:
            self.progress.note(f"{len({m.claim_id for m in found})} claim(s) resemble claims already reviewed: "
                               "the dashboard suggests those decisions")

    def run_settings(self) -> RunSettings:
        return RunSettings(
            model=self.llm.model_id, embedder=self.settings.embedder, top_k=self.settings.top_k,
            collection=self.settings.collection,
            extract_prompt=f"{self.extract_prompt.ref.id}/{self.extract_prompt.ref.version}",
            judge_prompt=f"{self.judge_prompt.ref.id}/{self.judge_prompt.ref.version}",
            window_chars=self.settings.window_chars, temperature=self.settings.temperature,
        )


def rejudge_claim(settings: Settings, run_id: str, claim_id: str, actor: str, store: Store | None = None) -> Judged:
    """Re-judge one claim of a run on demand (`verify rejudge`, the dashboard's Re-judge button):
    retrieve and judge that claim only, with the model and library `settings` name now."""
    return Pipeline(settings, store=store).rejudge(run_id, claim_id, actor)


__all__ = ["Pipeline", "RunOutcome", "SilentProgress", "read_article", "rejudge_claim", "VerifyError"]
