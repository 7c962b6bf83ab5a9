"""The run's second-review agreement on the run page: Cohen's kappa and raw agreement over the claims
both reviewers decided, overall and per reviewer pair, and the disagreements still open. Not shown to
someone reviewing part of the run blind (it would tell them how the first reviewer decided)."""

from __future__ import annotations

import streamlit as st

from ui import blind, state
from ui.render import md
from verify import team


@st.cache_data(show_spinner=False, max_entries=16)
def _figures(_store, path: str, run_id: str, version: tuple[int, int], last_event: int):
    return team.agreement(_store, run_id), len(team.disagreements(_store, [run_id]))


def render(run_id: str) -> None:
    store, path = state.store(), state.db_path()
    version = store.team_version(run_id)
    if not version[0] or blind.hides_report(store, path, run_id):
        return
    result, waiting = _figures(store, path, run_id, version, store.run_version(run_id)[0])
    pairs = " · ".join(f"{md(' & '.join(p.pair))}: {md(team.describe(p))}" for p in result.pairs)
    st.markdown(f"**Second-review agreement**: {md(team.describe(result.overall))}"
                + (f" · {waiting} disagreement{'s' if waiting != 1 else ''} waiting for an editor" if waiting else ""))
    if result.pairs:
        st.caption(f"Per reviewer pair: {pairs}")
