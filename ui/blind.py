"""What a blind second reviewer's page loads: never the first decision (verify/team.py).

ui/state.load_run passes every decision of a run through `for_viewer` before anything of the page sees
it, so the form, the history, the activity log, the claims table, search and the article's colours
are all drawn from the same masked data: on the claims the viewer reviews blind, only their own blind
decision. The reviewer citations and the report download are withheld the same way. Imports no other
ui module (ui/state.py imports this one).
"""

from __future__ import annotations

import streamlit as st

from verify import team
from verify.models import ReviewCitation
from verify.review import Decision
from verify.store import Store
from verify.store.team import TeamDecision

VIEWER_KEY = "reviewer"  # ui.decision.REVIEWER_KEY: the login (or typed name) this session writes as


def viewer() -> str:
    return str(st.session_state.get(VIEWER_KEY, "")).strip()


# cache_resource: the same dict every rerun (callers never change it), so the masked decisions below are
# built once per change too, and ui/state.rows, keyed on the decisions' identity, stays cached.
@st.cache_resource(show_spinner=False, max_entries=64)
def _blind(_store: Store, path: str, run_id: str, version: tuple[int, int], who: str) -> dict[str, TeamDecision | None]:
    return team.blind_claims(_store, run_id, who)


def blind_claims(store: Store, path: str, run_id: str) -> dict[str, TeamDecision | None]:
    """The claims this session's user reviews blind, each with their own blind decision (cached until the
    run's assignments or team decisions change)."""
    who = viewer()
    if not who:
        return {}
    version = store.team_version(run_id)
    return _blind(store, path, run_id, version, who) if version[0] else {}


_MASKED: dict[tuple[int, int], tuple[dict, dict, dict]] = {}  # the last masked decisions, by their inputs' identity


def for_viewer(store: Store, path: str, run_id: str, decided: dict[str, Decision]) -> dict[str, Decision]:
    """The run's decisions as this session's user may load them."""
    mine = blind_claims(store, path, run_id)
    if not mine:
        return decided
    key = (id(decided), id(mine))
    kept = _MASKED.get(key)
    if kept and kept[0] is decided and kept[1] is mine:
        return kept[2]
    if len(_MASKED) >= 16:
        _MASKED.clear()
    _MASKED[key] = (decided, mine, team.blind_view(decided, mine))  # holding both keeps their ids from reuse
    return _MASKED[key][2]


def citations(store: Store, path: str, run_id: str, claim_id: str,
              cited: list[ReviewCitation]) -> list[ReviewCitation]:
    """Reviewer citations the user may see: on a claim they review blind, only their own."""
    if claim_id not in blind_claims(store, path, run_id):
        return cited
    return [c for c in cited if c.reviewer == viewer()]


def hides_report(store: Store, path: str, run_id: str) -> bool:
    """A report carries every decision: not for someone still reviewing part of the run blind."""
    return bool(blind_claims(store, path, run_id))
