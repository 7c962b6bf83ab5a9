"""Assigning a run, or some of its claims, to reviewers: the editor's box in the run page's sidebar.

Only editors and admins see it; verify/team.py checks the role again in every write.
"""

from __future__ import annotations

from collections import Counter

import streamlit as st

from ui import state
from ui.decision import reviewer
from ui.render import md
from ui.second_review import is_editor
from ui.state import RunView
from verify import roles, team
from verify.errors import VerifyError

NOBODY = "(none)"


def render(view: RunView) -> None:
    if not is_editor(reviewer()):
        return
    run_id = view.run.id
    held = team.assignments(state.store(), run_id)
    with st.sidebar.expander("Assign reviewers", expanded=False):
        st.caption(summary(held))
        users = sorted(roles.users())  # empty with auth off: names are typed
        pick = (lambda label, key: st.selectbox(label, users, index=None, key=key)) if users else \
            (lambda label, key: st.text_input(label, key=key))
        pick("Reviewer", "assign_to")
        pick("Blind second reviewer (optional)", "assign_second")
        numbers = {f"#{c.index + 1}": c.id for c in view.claims}
        st.multiselect("Claims (none: the whole run)", list(numbers), key="assign_claims")
        st.button("Assign", key="assign_submit", on_click=do_assign, args=(run_id, numbers),
                  disabled=not st.session_state.get("assign_to"), width="stretch")
        assigned = sorted({name for a in held.values() for name in (a.first, a.second) if name})
        if assigned:
            st.selectbox("Take off this run", assigned, index=None, key="unassign_who")
            st.button("Unassign", key="unassign_submit", on_click=do_unassign, args=(run_id,),
                      disabled=not st.session_state.get("unassign_who"), width="stretch")


def summary(held: dict[str, team.Assigned]) -> str:
    """"alice: 4 claims · bob (blind second): 4 claims", or that nobody is assigned."""
    firsts = Counter(a.first for a in held.values() if a.first)
    seconds = Counter(a.second for a in held.values() if a.second)
    parts = [f"{md(name)}: {n} claim{'s' if n != 1 else ''}" for name, n in firsts.items()]
    parts += [f"{md(name)} (blind second): {n} claim{'s' if n != 1 else ''}" for name, n in seconds.items()]
    return " · ".join(parts) if parts else "Nobody is assigned to this run."


def do_assign(run_id: str, numbers: dict[str, str]) -> None:
    second = (st.session_state.get("assign_second") or "").strip() or None
    chosen = [numbers[n] for n in st.session_state.get("assign_claims") or [] if n in numbers]
    to = (st.session_state.get("assign_to") or "").strip()
    try:
        team.assign(state.writer(), run_id, by=reviewer(), to=to, second=second, claim_ids=chosen or None)
    except VerifyError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    what = f"{len(chosen)} claim(s)" if chosen else "the whole run"
    st.session_state["flash"] = ("success", f"Assigned {what} to {to}"
                                            + (f", with {second} as blind second reviewer." if second else "."))


def do_unassign(run_id: str) -> None:
    who = st.session_state.get("unassign_who") or ""
    try:
        team.unassign(state.writer(), run_id, by=reviewer(), reviewer=who)
    except VerifyError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    st.session_state["flash"] = ("success", f"Took {who} off this run (their decisions stay).")
