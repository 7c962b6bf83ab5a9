"""Claim panel: the claim, the machine verdict with its citations shown inside their passages, the
other retrieved passages, warnings, and the claim's review history."""

from __future__ import annotations

import streamlit as st

from ui import render, state
from ui.render import md
from ui.state import Row, RunView
from verify.models import Citation, Evidence, Verdict
from verify.review import Decision
from verify.vocabulary import DEMO_GRADE_WARNING, state_words
from verify.model_signals import rationale_flag, verdict_confidence
from verify.report_common import citation_numbers


def render_claim(view: RunView, row: Row, decision: Decision) -> None:
    claim = view.claim(row.claim_id)
    verdict = view.verdicts.get(claim.id)
    st.subheader(f"Claim #{row.number}")
    st.html(f"<div>{render.badge(row.current, 'now:', row.reviewed)} "
            f"<span class='vf-src'>machine: {render.esc(render.label_text(row.machine))} · "
            f"review: {render.esc(state_words(row.state))}</span></div>")
    st.markdown(f"**{md(claim.text)}**")
    if claim.text_en and claim.text_en != claim.text:
        st.caption(f"English: {md(claim.text_en)}")
        st.caption(f"In the article: “{md(claim.quote)}”")
    else:  # extractive mode: the claim is the article's own sentence, untranslated
        st.caption("Taken verbatim from the article (no English form).")
    if claim.flagged:
        st.warning("The quote of this claim was not found in the article text (unlocated span): check it by hand.")
    if view.demo_grade:
        st.warning(f"Demo-grade model: {DEMO_GRADE_WARNING}", icon="⚠️")
    if verdict is None:
        st.info("This claim has no verdict yet (the run may still be going, or was interrupted).")
        return
    if verdict.status == "error":
        render_failure(verdict)
    else:
        render_verdict(verdict)
        if flag := rationale_flag(verdict, claim):  # a rationale that repeats the claim or prompt explains nothing
            st.warning(flag, icon="⚠️")
    render_injection(verdict)
    evidence = state.load_evidence(state.db_path(), claim.id, view.version)
    render_citations(verdict, evidence)
    render_other_passages(verdict, evidence)


def render_failure(verdict: Verdict) -> None:
    st.error(f"The verdict FAILED: the model never produced a valid answer, so no label was invented. "
             f"Error: {md(verdict.error)}")
    st.caption("Raw model output (kept for the record):")
    st.code(verdict.raw_output or "(empty)", language=None)


def render_verdict(verdict: Verdict) -> None:
    confidence = verdict_confidence(verdict)  # '—' when the model gives no real confidence
    st.markdown(f"**Machine verdict:** {md(render.label_text(verdict.label.value))} · confidence {confidence} · "
                f"model {md(verdict.model)} · prompt {md(verdict.prompt.id)}/{md(verdict.prompt.version)}")
    if verdict.rationale:
        st.markdown(f"> {md(verdict.rationale)}")


def render_injection(verdict: Verdict) -> None:
    """Evidence that gives orders to the model (possible prompt injection, verify/injection.py): an error
    when the verdict cites it or its passage, a warning when it was only shown to the model."""
    if not verdict.evidence_flags:
        return
    lines = "\n".join(f"- {md(flag.describe())}" for flag in verdict.evidence_flags)
    notice = st.error if verdict.suspicious_citations else st.warning
    notice(f"**Possible prompt injection:** a source shown to the model gives it orders; check this verdict "
           f"against the sources by hand.\n\n{lines}", icon="⚠️")


def render_citations(verdict: Verdict, evidence: list[Evidence]) -> None:
    if not verdict.citations:
        st.caption("No citation." if verdict.status == "ok" else "")
        return
    st.markdown(f"**Citations ({len(verdict.citations)})**")
    chunks = {ev.chunk.id: ev for ev in evidence}
    groups: dict[str, list[tuple[int, Citation]]] = {}
    for number, citation in zip(citation_numbers(verdict), verdict.citations):  # the reports' numbers
        groups.setdefault(citation.chunk_id, []).append((number, citation))
    for chunk_id, cited in groups.items():
        st.html(cited_passage(chunks.get(chunk_id), cited, verdict.label.value if verdict.label else "PENDING"))


def cited_passage(ev: Evidence | None, cited: list[tuple[int, Citation]], label: str) -> str:
    """The passage with each cited sentence highlighted and numbered; a citation whose passage is not
    among the stored evidence (should not happen: such citations are rejected) shows alone."""
    if ev is None:
        body = "".join(f"<p>[{n}] {render.esc(c.text)} <i>(passage not in the stored evidence)</i></p>"
                       for n, c in cited)
        return f"<div class='vf-passage'>{body}</div>"
    chunk = ev.chunk
    marks, missing = [], []
    for number, citation in cited:
        where = render.locate(chunk.text, chunk.start, citation.start, citation.end, citation.text)
        if where is None:
            missing.append((number, citation))
        else:
            marks.append(render.Mark(where[0], where[1], label, prefix=f"[{number}]", title="cited sentence"))
    meta = chunk.source
    html = render.passage_html(chunk.text, marks, render.source_line(meta.title, meta.publisher, meta.published,
                                                                      meta.url or meta.path))
    for number, citation in missing:
        html += f"<div class='vf-passage'>[{number}] {render.esc(citation.text)}</div>"
    return html


def render_other_passages(verdict: Verdict, evidence: list[Evidence]) -> None:
    cited = {c.chunk_id for c in verdict.citations}
    others = [ev for ev in evidence if ev.chunk.id not in cited]
    if not others:
        return
    with st.expander(f"Other retrieved passages ({len(others)})", expanded=False):
        for ev in others:
            meta = ev.chunk.source
            header = render.source_line(meta.title, meta.publisher, meta.published, meta.url or meta.path)
            scores = f"<div class='vf-src'>retrieval rank {ev.rank}</div>"  # raw scores mean nothing to a reader
            st.html(render.passage_html(ev.chunk.text, [], header + scores))


def history_rows(decision: Decision) -> list[dict]:
    return [{"when": e.created_at.replace("T", " ")[:19], "reviewer": e.reviewer, "action": e.action,
             "label before": e.label_before or "", "label after": e.label_after or "", "note": e.note}
            for e in decision.history]


def render_history(decision: Decision) -> None:
    st.markdown(f"**History ({len(decision.history)} event{'s' if len(decision.history) != 1 else ''})**")
    if not decision.history:
        st.caption("No review event yet.")
        return
    # A dataframe shows cell text as text, so notes need no escaping here.
    st.dataframe(history_rows(decision), hide_index=True, width="stretch", key=f"history_{decision.claim_id}")

