"""Claim panel: the claim, the machine verdict, warnings, then the evidence-first card (ui/evidence_card.py:
each evidence sentence with its own stance, differences and source; reviewer citations); below the decision
form, every retrieved passage, the whole source, adding a source and re-judging (render_sources). The
claim's review history is ui/activity.py's render_claim_history."""

from __future__ import annotations

import streamlit as st

from ui import evidence_card, render, state
from ui.render import md
from ui.state import Row, RunView
from verify.models import Claim, Verdict
from verify.review import Decision
from verify.vocabulary import state_words
from verify.model_signals import rationale_flag, verdict_confidence


def render_claim(view: RunView, row: Row, decision: Decision) -> None:
    # Read-only text goes out as a few st.html blocks rather than a dozen Markdown elements: each element
    # costs a decide + next its own React work in the browser (bench/ui_browser.py). Every piece of claim,
    # model or source text is escaped (render.esc).
    claim = view.claim(row.claim_id)
    verdict = view.verdicts.get(claim.id)
    st.html(claim_html(claim, row))
    if claim.flagged:
        st.warning("The quote of this claim was not found in the article text (unlocated span): check it by hand.")
    # The demo-grade warning is said once, at the top of the run page (issue 11: it showed twice).
    if verdict is None:
        st.info("This claim has no verdict yet (the run may still be going, or was interrupted).")
    elif verdict.status == "error":
        render_failure(verdict)
    else:
        st.html(verdict_html(verdict))
        if flag := rationale_flag(verdict, claim):  # a rationale that repeats the claim or prompt explains nothing
            st.warning(flag, icon="⚠️")
    if verdict is not None:
        render_injection(verdict)
    evidence = state.load_evidence(state.db_path(), claim.id, view.version)
    evidence_card.render_flash()
    evidence_card.render_card(view.run.id, claim, verdict, evidence)


def claim_html(claim: Claim, row: Row) -> str:
    """The claim's number, where it stands (now / machine / review), its wording, English form and quote."""
    esc = render.esc
    lines = [f'<h3 class="vf-claim-h">Claim #{row.number}</h3>',
             (f"<div>{render.badge(row.current, 'now:', row.reviewed)} <span class='vf-src'>machine: "
              f"{esc(render.label_text(row.machine))} · review: {esc(state_words(row.state))}</span></div>"),
             f'<p class="vf-claim-text"><b>{esc(claim.text)}</b></p>']
    if claim.text_en and claim.text_en != claim.text:
        lines += [f'<p class="vf-cap">English: {esc(claim.text_en)}</p>',
                  f'<p class="vf-cap">In the article: “{esc(claim.quote)}”</p>']
    else:  # extractive mode: the claim is the article's own sentence, untranslated
        lines.append('<p class="vf-cap">Taken verbatim from the article (no English form).</p>')
    return "".join(lines)


def verdict_html(verdict: Verdict) -> str:
    esc = render.esc
    confidence = verdict_confidence(verdict)  # '—' when the model gives no real confidence
    line = (f"<p><b>Machine verdict:</b> {esc(render.label_text(verdict.label.value))} · confidence "
            f"{esc(confidence)} · model {esc(verdict.model)} · prompt {esc(verdict.prompt.id)}/"
            f"{esc(verdict.prompt.version)}</p>")
    rationale = f'<blockquote class="vf-rationale">{esc(verdict.rationale)}</blockquote>' if verdict.rationale else ""
    return line + rationale


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
    # st.text, not st.code: plain and verbatim too, without the syntax highlighter, which cost every
    # decide + next that opened a failed verdict ~30 ms in the browser (bench/ui_browser.py).
    st.text(verdict.raw_output or "(empty)")


def render_injection(verdict: Verdict) -> None:
    """Evidence that gives orders to the model (possible prompt injection, verify/injection.py): an error
    when the verdict cites it or its passage, a warning when it was only shown to the model."""
    if not verdict.evidence_flags:
        return
    lines = "\n".join(f"- {md(flag.describe())}" for flag in verdict.evidence_flags)
    notice = st.error if verdict.suspicious_citations else st.warning
    notice(f"**Possible prompt injection:** a source shown to the model gives it orders; check this verdict "
           f"against the sources by hand.\n\n{lines}", icon="⚠️")
