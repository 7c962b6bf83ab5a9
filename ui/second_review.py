"""The blind second reviewer's decision form, and the editor's final decision on a disagreement.

Drawn in the review pane in place of the usual decision form (ui/decision.py) when the open claim is
one the user reviews blind, or, for an editor, one whose two reviewers disagree. The blind form is
drawn from the user's own blind decision only (ui/blind.py): nothing of the first decision is loaded.
"""

from __future__ import annotations

import streamlit as st

from ui import blind, state
from ui.decision import LABELS, advance, reviewer, whole_pane
from ui.render import label_text, md
from ui.state import Row, RunView
from verify import roles, team
from verify.errors import VerifyError
from verify.store.team import TeamDecision
from verify.vocabulary import state_words

ACTIONS = {"Approve": "approve", "Reject": "reject", "Needs more evidence": "needs_evidence"}
STATE_OF = {"approve": "approved", "reject": "rejected", "needs_evidence": "needs_evidence"}


def is_editor(username: str) -> bool:
    who = roles.user(username) if username else None
    return who is not None and roles.RANK[who.role] >= roles.RANK["editor"]


@st.cache_data(show_spinner=False, max_entries=16)
def _team_claims(_store, path: str, run_id: str, version: tuple[int, int],
                 last_event: int) -> dict[str, team.TeamClaim]:
    return team.team_claims(_store, run_id)


def team_claims(run_id: str) -> dict[str, team.TeamClaim]:
    """The run's claims under second review, with both decisions: for editors only (never a blind page)."""
    store = state.store()
    version = store.team_version(run_id)
    if not version[0]:
        return {}
    return _team_claims(store, state.db_path(), run_id, version, store.run_version(run_id)[0])


def render(view: RunView, row: Row, order: list[str]) -> bool:
    """Draw the blind form or the editor's final-decision form for the open claim; False when neither
    applies (the usual decision form is drawn instead)."""
    run_id = view.run.id
    mine = blind.blind_claims(state.store(), state.db_path(), run_id)
    if row.claim_id in mine:
        render_blind_form(view, row, mine[row.claim_id], order)
        return True
    if not is_editor(reviewer()):
        return False
    claim = team_claims(run_id).get(row.claim_id)
    if claim is None:
        return False
    if claim.status == "disagreed":
        render_resolution(view, row, claim)
        return True
    render_second_note(claim)
    return False


def decision_words(action: str, label: str | None) -> str:
    return state_words(STATE_OF[action]) + (f", {label_text(label)}" if label else "")


# --- the blind second reviewer -----------------------------------------------------------------------


def render_blind_form(view: RunView, row: Row, mine: TeamDecision | None, order: list[str]) -> None:
    cid = row.claim_id
    st.markdown(f"**Blind second review of claim #{row.number}**")
    st.caption("You are this claim's second reviewer: the first decision is not shown to you. Where your "
               "decisions differ, an editor makes the final one.")
    if mine is not None:
        st.markdown(f"Your blind decision: **{md(decision_words(mine.action, mine.label))}**"
                    + (f", note: {md(mine.note)}" if mine.note else "") + ". Deciding again replaces it.")
    actions = [a for a in ACTIONS if row.machine in LABELS or a != "Approve"]
    choice = st.radio("Your decision", actions, horizontal=True, key=f"second_act_{cid}", index=None)
    if choice == "Reject":
        st.radio("Corrected label", [label for label in LABELS if label != row.machine], key=f"second_label_{cid}",
                 index=None, horizontal=True, format_func=label_text)
    st.text_input("Note (optional)", key=f"second_note_{cid}", placeholder="why, or what evidence is missing")
    values = blind_values(cid)
    st.button("Submit blind decision", type="primary", key=f"second_submit_{cid}",
              disabled=not (reviewer() and values["action"] and (values["action"] != "reject" or values["label"])),
              on_click=whole_pane(submit_blind), args=(view.run.id, cid, order), width="stretch")


def blind_values(cid: str) -> dict:
    action = ACTIONS.get(st.session_state.get(f"second_act_{cid}") or "")
    label = st.session_state.get(f"second_label_{cid}") if action == "reject" else None
    return {"action": action, "label": label, "note": st.session_state.get(f"second_note_{cid}", "")}


def submit_blind(run_id: str, claim_id: str, order: list[str]) -> None:
    values = blind_values(claim_id)
    view, _, _ = state.load_run(run_id)
    try:
        made = team.decide_second(state.writer(), run_id=run_id, claim_id=claim_id, reviewer=reviewer(),
                                  action=values["action"], machine_verdict=view.verdicts.get(claim_id),
                                  corrected_label=values["label"], note=values["note"])
    except VerifyError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    number = next((c.index + 1 for c in view.claims if c.id == claim_id), "?")
    st.session_state["flash"] = ("success", f"Recorded your blind decision: {decision_words(made.action, made.label)} "
                                            f"on claim #{number}.")
    advance(run_id, claim_id, order)


# --- the editor ----------------------------------------------------------------------------------------


def render_resolution(view: RunView, row: Row, claim: team.TeamClaim) -> None:
    cid = row.claim_id
    first, second = claim.first, claim.second
    st.markdown(f"**Disagreement on claim #{row.number}**: your decision is final.")
    st.markdown(f"- First review: **{md(first.reviewer or '')}**, {md(state_words(first.state))} "
                f"({md(label_text(first.label or ''))})" + (f", note: {md(first.note)}" if first.note else ""))
    st.markdown(f"- Blind second review: **{md(second.reviewer)}**, {md(decision_words(second.action, second.label))}"
                + (f", note: {md(second.note)}" if second.note else ""))
    st.radio("Final label", LABELS, key=f"final_label_{cid}", index=None, horizontal=True,
             format_func=label_text)
    st.text_input("Note (optional)", key=f"final_note_{cid}", placeholder="what settles it")
    st.button("Record final decision", type="primary", key=f"final_submit_{cid}",
              disabled=not st.session_state.get(f"final_label_{cid}"), on_click=whole_pane(submit_final),
              args=(view.run.id, cid), width="stretch")


def submit_final(run_id: str, claim_id: str) -> None:
    view, _, _ = state.load_run(run_id)
    try:
        final = team.resolve(state.writer(), run_id=run_id, claim_id=claim_id, editor=reviewer(),
                             label=st.session_state.get(f"final_label_{claim_id}") or "",
                             note=st.session_state.get(f"final_note_{claim_id}", ""),
                             machine_verdict=view.verdicts.get(claim_id))
    except (VerifyError, ValueError) as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    number = next((c.index + 1 for c in view.claims if c.id == claim_id), "?")
    st.session_state["flash"] = ("success", f"Final decision: {label_text(final.label)} on claim #{number} "
                                            f"by {final.reviewer} ({final.role}).")


def render_second_note(claim: team.TeamClaim) -> None:
    """For an editor, the blind second review of a claim that needs no resolution (agreed, waiting, settled)."""
    second = claim.second
    if second is None:
        st.caption(f"Blind second review: assigned to {md(claim.assigned.second or 'nobody now')}, not decided yet.")
        return
    words = {"agreed": "agrees with the first review", "waiting": "the first review is not decided yet",
             "resolved": f"settled by {claim.final.reviewer if claim.final else ''}'s final decision"}[claim.status]
    st.caption(f"Blind second review: {md(second.reviewer)}, {md(decision_words(second.action, second.label))} "
               f"({md(words)}).")
