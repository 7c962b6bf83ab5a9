"""The run's second-review agreement on the run page: Cohen's kappa and raw agreement over the claims
both reviewers decided, overall and per reviewer pair, and the disagreements still open.

Shown to editors and admins only (auth off: the one person is both). A reviewer never gets it: to a blind
second reviewer it would tell how the first reviewer decided, and on a small run it tells the first
reviewer the second one's labels (1 claim, kappa and "0 of 1" say it was the other label). Editors
settle disagreements; the reviewers have no need of the figure while reviewing."""

from __future__ import annotations

import streamlit as st

from ui import blind, state
from ui.render import md
from ui.second_review import is_editor
from verify import roles, team


@st.cache_data(show_spinner=False, max_entries=16)
def _figures(_store, path: str, run_id: str, version: tuple[int, int], last_event: int):
    return team.agreement(_store, run_id), len(team.disagreements(_store, [run_id]))


def may_see(viewer: str) -> bool:
    """Editors and admins; with auth off, the one person (unless they review part of the run blind)."""
    return roles.mode() == "off" or is_editor(viewer)


def render(run_id: str) -> None:
    store, path = state.store(), state.db_path()
    version = store.team_version(run_id)
    if not version[0] or not may_see(blind.viewer()) or blind.hides_report(store, path, run_id):
        return
    result, waiting = _figures(store, path, run_id, version, store.run_version(run_id)[0])
    pairs = " · ".join(f"{md(' & '.join(p.pair))}: {md(team.describe(p))}" for p in result.pairs)
    st.markdown(f"**Second-review agreement**: {md(team.describe(result.overall))}"
                + (f" · {waiting} disagreement{'s' if waiting != 1 else ''} waiting for an editor" if waiting else ""))
    if result.pairs:
        st.caption(f"Per reviewer pair: {pairs}")
