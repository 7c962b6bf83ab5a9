"""My queue: the signed-in reviewer's open assigned claims across runs, with counts, at the top of the
runs page; for an editor, the disagreements waiting for their final decision too. A click opens the claim."""

from __future__ import annotations

from collections import defaultdict

import streamlit as st

from ui import state
from ui.article_view import FOCUS_KEY
from ui.decision import reviewer
from ui.render import md
from ui.second_review import is_editor
from verify import team

WHAT = {"first": "to review", "second": "blind second review", "resolve": "disagreement to resolve"}


@st.cache_data(show_spinner=False, max_entries=16)
def _items(_store, path: str, who: str, editor: bool, versions: tuple) -> list[team.QueueItem]:
    return team.my_queue(_store, who) + (team.disagreements(_store) if editor else [])


def items(who: str) -> list[team.QueueItem]:
    store = state.store()
    versions = (tuple(store.store_version()), store.team_version())  # any decision or assignment changes it
    if not versions[1][0]:
        return []  # nothing was ever assigned: no queue to show
    return _items(store, state.db_path(), who, is_editor(who), versions)


def open_claim(run_id: str, claim_id: str) -> None:
    st.session_state["run_id"] = run_id
    st.session_state[FOCUS_KEY] = claim_id
    st.query_params["run"] = run_id
    st.query_params["claim"] = claim_id


def render() -> None:
    who = reviewer()
    if not who:
        return
    queue = items(who)
    st.markdown("### My queue")
    if not queue:
        st.caption("Nothing open is assigned to you.")
        return
    counts = defaultdict(int)
    for item in queue:
        counts[item.slot] += 1
    st.caption(f"**{len(queue)}** open: " + " · ".join(f"{WHAT[slot]} **{n}**" for slot, n in counts.items()))
    by_run: dict[str, list[team.QueueItem]] = defaultdict(list)
    for item in queue:
        by_run[item.run_id].append(item)
    for run_id, run_items in by_run.items():
        st.markdown(f"**Run {md(run_id)}** · {len(run_items)} open")
        for item in run_items:
            text = item.text if len(item.text) <= 90 else item.text[:87] + "..."
            st.button(f"#{item.number} · {WHAT[item.slot]} · {text}", key=f"queue_{item.slot}_{item.claim_id}",
                      on_click=open_claim, args=(run_id, item.claim_id))
