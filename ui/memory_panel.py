"""Claim memory in the review pane: the open claim resembles a claim already reviewed in another run.

The matches were found when the run was made (`verify run`, or `verify memory RUN` after more reviewing);
here they are only read, with the earlier claim's decision as it stands now, so no model is loaded. The
reviewer accepts a suggestion with one click (a review event whose note names the earlier claim, through
review.decide with the same conflict check as the form) or ignores it for this session.
"""

from __future__ import annotations

import streamlit as st

from ui import decision as decision_form
from ui import state
from ui.activity import local_time
from ui.render import label_text, md
from verify.errors import VerifyError
from verify.memory import Suggestion, accept, suggestions
from verify.review import Decision, ReviewConflict

IGNORED_KEY = "memory_ignored"  # (claim id, earlier claim id) pairs ignored in this session


def _ignored() -> set[tuple[str, str]]:
    return st.session_state.setdefault(IGNORED_KEY, set())


def render_suggestions(view: state.RunView, row: state.Row, current: Decision, order: list[str]) -> None:
    """The earlier decisions offered for the open claim, closest first."""
    shown = [s for s in suggestions(state.store(), row.claim_id)
             if (row.claim_id, s.match.source_claim_id) not in _ignored()]
    if not shown:
        return
    with st.container(border=True, key=f"memory_{row.claim_id}"):
        st.markdown("**Reviewed before** · a close claim of an earlier run was decided; accept its decision "
                    "or decide anew")
        for suggestion in shown:
            _render_one(view, row, current, suggestion, order)


def _render_one(view: state.RunView, row: state.Row, current: Decision, suggestion: Suggestion,
                order: list[str]) -> None:
    match, earlier = suggestion.match, suggestion.decision
    verb = "Approved" if earlier.state == "approved" else "Corrected to"
    st.markdown(f"{verb} {label_text(earlier.label or '')} by **{md(earlier.reviewer)}** on "
                f"{md(local_time(earlier.decided_at or ''))} · [claim #{suggestion.source.index + 1} of run "
                f"{md(match.source_run_id)}]({suggestion.link}) · similarity {match.score:.2f}")
    st.caption(md(suggestion.source.text))
    if earlier.note:
        st.caption(f"Their note: {md(earlier.note)}")
    for citation in earlier.citations:
        title = citation.source.title if citation.source else citation.source_id
        st.caption(f"{'supports' if citation.stance == 'supports' else 'refutes'}: “{md(citation.text)}” "
                   f"({md(title)})")
    key = f"{row.claim_id}_{match.source_claim_id}"
    left, right = st.columns(2)
    expected = decision_form.expected_event(row.claim_id, current)
    left.button("Accept this decision", key=f"memory_accept_{key}", type="primary",
                disabled=not decision_form.reviewer() or current.reviewed, width="stretch",
                help="Records the same decision on this claim, naming the earlier claim; its citations come along.",
                on_click=decision_form.whole_pane(_accept), args=(view.run.id, row.claim_id, suggestion, expected, order))
    right.button("Ignore", key=f"memory_ignore_{key}", width="stretch",
                 on_click=_ignore, args=(row.claim_id, match.source_claim_id))


def _ignore(claim_id: str, source_claim_id: str) -> None:
    _ignored().add((claim_id, source_claim_id))


def _accept(run_id: str, claim_id: str, suggestion: Suggestion, expected: int | None, order: list[str]) -> None:
    if claim_id != st.session_state.get(decision_form.FOCUS_KEY):  # a stale click: write nothing
        st.session_state["flash"] = ("error", "That suggestion was for a claim that is no longer open: nothing "
                                              "was recorded.")
        return
    view, _, _ = state.load_run(run_id)
    try:
        event = accept(state.writer(), suggestion=suggestion, reviewer=decision_form.reviewer(),
                       machine_verdict=view.verdicts.get(claim_id), expected_last_event=expected)
    except (ReviewConflict, VerifyError) as exc:
        st.session_state["flash"] = ("error", f"{exc}. Nothing was recorded.")
        return
    decision_form.acknowledge(claim_id, event.id)
    number = next((c.index + 1 for c in view.claims if c.id == claim_id), "?")
    st.session_state["flash"] = ("success", f"Recorded: {label_text(event.label_after or '')} accepted from "
                                            f"memory on claim #{number} by {event.reviewer}.")
    decision_form.advance(run_id, claim_id, order)
