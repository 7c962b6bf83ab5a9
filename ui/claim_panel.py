"""Claim panel: the claim, the machine verdict, warnings, then the evidence-first card (ui/evidence_card.py:
each evidence sentence with its own stance, differences and source; reviewer citations); below the decision
form, every retrieved passage, the whole source, adding a source and re-judging (render_sources). The
claim's review history is ui/activity.py's render_claim_history."""

from __future__ import annotations

import streamlit as st

from ui import evidence_card, render, state
from ui.render import md
from ui.state import Row, RunView
from verify.models import Verdict
from verify.review import Decision
from verify.vocabulary import state_words
from verify.model_signals import rationale_flag, verdict_confidence


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
    # The demo-grade warning is said once, at the top of the run page (issue 11: it showed twice).
    if verdict is None:
        st.info("This claim has no verdict yet (the run may still be going, or was interrupted).")
    elif verdict.status == "error":
        render_failure(verdict)
    else:
        render_verdict(verdict)
        if flag := rationale_flag(verdict, claim):  # a rationale that repeats the claim or prompt explains nothing
            st.warning(flag, icon="⚠️")
    if verdict is not None:
        render_injection(verdict)
    evidence = state.load_evidence(state.db_path(), claim.id, view.version)
    evidence_card.render_flash()
    evidence_card.render_card(view.run.id, claim, verdict, evidence)


def render_sources(view: RunView, row: Row) -> None:
    """The retrieved passages (cite any sentence, open the whole source) and adding a source. Drawn below
    the decision form: above it, the cited passages put the form ~2,300 px under the claim (issue 11)."""
    claim = view.claim(row.claim_id)
    evidence = state.load_evidence(state.db_path(), claim.id, view.version)
    evidence_card.render_sources(view.run.id, claim, view.verdicts.get(claim.id), evidence)


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
