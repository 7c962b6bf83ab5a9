"""Markdown report: readable as plain text, renders cleanly on a code-hosting site.

Text from articles, sources and models is untrusted: it is collapsed onto one line (so it cannot
start a heading, list or code block) and Markdown/HTML punctuation is backslash-escaped (so
`<script>` shows as text instead of reaching a renderer that allows raw HTML). Links are made only
of plain http(s) URLs.
"""

from __future__ import annotations

from .markup import escape_markdown
from .report_common import (CLAIM_STATUS, INJECTION_ADVICE, INJECTION_TITLE, LABEL_SYMBOL, NO_LABEL, STATE_TEXT, citation_source,
                            final_label, fmt_time, injection_note, machine_line, options_notes, rationale_warning,
                            review_line, safe_url, source_line)
from .report_model import CitationRef, ClaimEntry, Header, Report, SourceEntry


def md(text: object) -> str:
    """Untrusted text on one line (it cannot start a heading, list or code block), Markdown-escaped."""
    return escape_markdown(" ".join(str(text).split()))


def link(url: str) -> str:
    safe = safe_url(url)
    return f"<{safe}>" if safe else f"{md(url)} (not linked: not a web address)"


def render_markdown(report: Report) -> str:
    lines: list[str] = [f"# Citation report: {md(report.header.article_title)}", ""]
    if report.header.warning:
        lines += [f"> **⚠ Demo-grade model.** {md(report.header.warning)}", ""]
    if report.header.injection_flagged:
        lines += [f"> **⚠ {INJECTION_TITLE}.** {md(injection_note(report.header))}", ""]
    lines += _header_table(report.header, report)
    lines += ["", "Each claim numbers its citations [1], [2] ...; (S1), (S2) ... refer to the bibliography."]
    for claim in report.claims:
        lines += ["", "---", ""] + _claim(claim)
    lines += ["", "---", "", "## Bibliography", ""]
    lines += [_source(s) for s in report.bibliography] or ["No source is cited in the claims shown."]
    if report.other_sources:
        lines += ["", "### Also retrieved, not cited in the claims shown", ""]
        lines += [_source(s) for s in report.other_sources]
    return "\n".join(lines).rstrip() + "\n"


def _header_table(h: Header, report: Report) -> list[str]:
    m, r = h.machine_totals, h.review_totals
    prompts = ", ".join(f"{p.id}/{p.version}" + (f" (sha256 {p.sha256[:12]})" if p.sha256 else "") for p in h.prompts)
    models = md(h.model) + ("" if h.verdict_models in ([], [h.model]) else
                            f" (verdicts by {', '.join(md(x) for x in h.verdict_models)})")
    rows = [
        ("Article", md(h.article_title)),
        ("Source", link(h.article_url) if h.article_url else md(h.article_source)),
        ("Language", md(h.article_language)),
        ("Run", f"{md(h.run_id)} ({md(h.run_status)}), started {fmt_time(h.run_date)}"),
        ("Report generated", fmt_time(h.generated_at)),
        ("Model", models),
        ("Embedder", md(h.embedder)),
        ("Prompts", md(prompts)),
        ("Machine verdicts", f"{LABEL_SYMBOL['SUPPORTED']} SUPPORTED {m.SUPPORTED} · {LABEL_SYMBOL['REFUTED']} REFUTED "
                             f"{m.REFUTED} · {LABEL_SYMBOL['NOT_ENOUGH_INFO']} NOT\\_ENOUGH\\_INFO {m.NOT_ENOUGH_INFO} · "
                             f"failed {m.failed} · not judged {m.not_judged}"),
        ("Reviewer decisions", " · ".join(f"{STATE_TEXT[k]} {getattr(r, k)}" for k in STATE_TEXT)),
        ("Reviewer labels", md(", ".join(f"{k} {v}" for k, v in h.reviewed_labels.items()) or "none yet")),
        ("Review completeness", f"{h.completeness.reviewed} of {h.completeness.claims} claims reviewed "
                                f"({h.completeness.percent:.1f}%)"),
        ("Sources", f"{h.sources_retrieved} retrieved, {h.sources_cited} cited"),
        ("Claims shown", f"{h.claims_shown} of {h.claims_total}" + _options_note(report)),
    ]
    return ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]


def _options_note(report: Report) -> str:
    notes = options_notes(report)
    return f" ({', '.join(notes)})" if notes else ""


def _claim(c: ClaimEntry) -> list[str]:
    label = final_label(c)
    title = f"{LABEL_SYMBOL.get(label, '')} {label}".strip() if label else NO_LABEL[c.machine.status]
    whose = CLAIM_STATUS[c.review.state]
    lines = [f"## Claim {c.number}: {md(title)} ({whose})", ""]
    lines.append(f"**Claim:** {md(c.text)}  ")
    if c.text_en != c.text:  # an English article's claim is its own English form
        english = md(c.text_en) if c.text_en else "*no English form (claim taken verbatim from the article)*"
        lines.append(f"**English:** {english}  ")
    sentence = f"“{md(c.article_sentence)}”" if c.article_sentence else "*the claim could not be located in the article*"
    lines += [f"**Article sentence:** {sentence}", ""]
    m, rejected = c.machine, c.review.state == "rejected"
    detail = ", ".join(x for x in (f"model {md(m.model)}" if m.model else "", f"prompt {md(m.prompt)}" if m.prompt else "") if x)
    review = [f"- **Reviewer decision:** {md(review_line(c.review))}"]
    if c.review.note:
        review.append(f"- **Reviewer note:** {md(c.review.note)}")
    machine = f"- **Machine verdict:** {md(machine_line(m, rejected=rejected))}" + (f"; {detail}" if detail else "")
    lines += review + [machine] if rejected else [machine] + review  # a rejected claim leads with the reviewer
    if m.rationale:
        lines.append(f"- **Rationale:** {md(m.rationale)}")
    if m.rationale_echo:
        lines.append(f"- **⚠ {md(rationale_warning(m.rationale_echo))}**")
    if m.error:
        lines.append(f"- **Error:** {md(m.error)}")
    if m.evidence_flags:
        lines.append(f"- **⚠ {INJECTION_TITLE}:** {md(INJECTION_ADVICE)}.")
        lines += [f"  - {md(flag.describe())}" for flag in m.evidence_flags]
    if c.review.citations:
        lines += ["", "**Reviewer citations**", ""] + [_cite(x) for x in c.review.citations]
    heading = "Machine citations (rejected by the reviewer)" if rejected and c.citations else "Citations"
    lines += ["", f"**{heading}**", ""]
    lines += [_cite(x) for x in c.citations] or ["- none"]
    return lines


def _cite(x: CitationRef) -> str:
    tags = "".join(f" *{tag}*" for tag in (x.stance, "rejected" if x.rejected else "") if tag)
    url = f". {link(x.url)}" if x.url else ""
    return f"- [{x.citation_number}]{tags} “{md(x.text)}” — {md(citation_source(x))}{url} (S{x.number})"


def _source(s: SourceEntry) -> str:
    head = f"S{s.number}. " if s.number else ""
    text = md(source_line(s.title or s.source_id, s.publisher, s.published))
    url = f". {link(s.url)}" if s.url else ""
    plural = "s" if len(s.cited_by) > 1 else ""
    used = f" (cited by claim{plural} {', '.join(map(str, s.cited_by))})" if s.cited_by else ""
    return f"- {head}{text}{url}{used}"
