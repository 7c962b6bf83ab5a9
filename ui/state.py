"""Data access for the dashboard: one Store per process, cached reads, derived claim rows.

A rerun only reads SQLite (no LLM call, no embedding). Reads are cached with st.cache_data keyed on a
cheap "version" of the run (last review event id, verdict count, run status): review events are
append-only, so the same version always means the same data, and any new decision changes it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import streamlit as st

from ui import blind
from verify.claim_edits import EffectiveClaim, effective_claims
from verify.config import env_names, env_setting
from verify.models import Article, Claim, Run, Verdict
from verify.model_signals import verdict_shown_confidence
from verify.review import Decision, DecisionsRead, decisions_read
from verify.store import RunVersion, Store, location
from verify.vocabulary import run_is_demo_grade


_DB_VARIABLES = tuple(env_names("db_path"))


def db_path() -> str:
    # Read per call (not at import) so a test can point VERIFY_DB at its own store. A run page calls this
    # ~20 times per run: it is worked out (checked, resolved) once per value of the variables.
    return _resolved(tuple(os.environ.get(name) for name in _DB_VARIABLES))


@functools.lru_cache(maxsize=16)
def _resolved(variables: tuple[str | None, ...]) -> str:
    return str(location.resolved(env_setting("db_path")))  # a file, or a postgresql:// URL


def store_exists() -> bool:
    """The dashboard never creates a store: `verify run` does (a typo in --db must not make an empty one)."""
    return location.exists(db_path())


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    # Read-only (SQLite mode=ro): every read of the dashboard goes through it, none can write.
    return Store(path, read_only=True)


@st.cache_resource(show_spinner=False)
def _open_writer(path: str) -> Store:
    # Writable, for review events only; opened at the first decision, once per process.
    location.check_exists(path)  # deleted since the page was read: do not create an empty store
    return Store(path)


def store() -> Store:
    return _open_store(db_path())


def writer() -> Store:
    """The store review decisions are written to."""
    return _open_writer(db_path())


@dataclass(frozen=True)
class RunView:
    run: Run
    article: Article
    claims: list[Claim]
    verdicts: dict[str, Verdict]
    version: str  # verdicts version it was read at (keys the evidence cache)
    edits: dict[str, EffectiveClaim] = field(default_factory=dict)  # claim edits replayed (verify/claim_edits.py)

    @property
    def demo_grade(self) -> bool:
        return run_is_demo_grade(self.run.summary, [self.run.settings.model, *(v.model for v in self.verdicts.values())])

    def claim(self, claim_id: str) -> Claim:
        return next(c for c in self.claims if c.id == claim_id)


def run_version(run_id: str) -> RunVersion:
    """Changes whenever anything the run page shows changes (a tuple: it keys st.cache_data)."""
    return store().run_version(run_id)


# cache_resource, not cache_data: the same objects are handed to every rerun instead of an unpickled copy
# (unpickling a 500-claim run cost ~60 ms a rerun, most of a decision's time). Callers never mutate them.
@st.cache_resource(show_spinner=False, max_entries=8)
def _load_run(path: str, run_id: str, verdicts_version: str, status: str, claim_events: int = 0) -> RunView:
    s = _open_store(path)
    run = s.get_run(run_id)
    edits = effective_claims(s, run_id)  # claims as edited: wording, not check-worthy, merged, added by hand
    return RunView(run=run, article=s.get_article(run.article_id), claims=[e.claim for e in edits.values()],
                   verdicts=s.get_verdicts(run_id), version=f"{verdicts_version}:{claim_events}", edits=edits)


_READS: dict[tuple[str, str], DecisionsRead] = {}  # each run's latest read, to read only what is new since


@st.cache_resource(show_spinner=False, max_entries=16)  # shared read-only, as _load_run
def _load_decisions(path: str, run_id: str, last_event: int) -> dict[str, Decision]:
    # After a decision only the claims with new events are replayed (verify/review.decisions_read).
    previous = _READS.get((path, run_id))
    read = decisions_read(_open_store(path), run_id, previous if previous and previous.last_event <= last_event else None)
    _READS[(path, run_id)] = read
    return read.decisions


def load_run(run_id: str) -> tuple[RunView, dict[str, Decision], int]:
    """The run's content, its decisions and the run's last event id (part of every cache key)."""
    last_event, verdicts_version, status = run_version(run_id)
    path = db_path()
    view = _load_run(path, run_id, verdicts_version, status, store().last_claim_event(run_id))
    decided = _load_decisions(path, run_id, last_event)
    return view, blind.for_viewer(store(), path, run_id, decided), last_event  # a blind second reviewer's: masked


@st.cache_data(show_spinner=False, max_entries=64)
def load_evidence(path: str, claim_id: str, verdicts_version: str):
    return _open_store(path).get_evidence(claim_id)


# --- derived rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What the filters, the selector and the article colouring need to know about one claim."""

    claim_id: str
    number: int  # 1-based, article order
    machine: str  # SUPPORTED | REFUTED | NOT_ENOUGH_INFO | FAILED | PENDING
    confidence: float | None
    state: str  # unreviewed | approved | rejected | needs_evidence
    current: str  # label shown: machine until reviewed, the reviewer's after
    status: str = "active"  # active | not_check_worthy | merged (verify/claim_edits.py)
    merged_into: int | None = None  # the surviving claim's number

    @property
    def reviewed(self) -> bool:
        return self.state in ("approved", "rejected")

    @property
    def counted(self) -> bool:
        """In the progress counts: neither merged into another claim nor marked not check-worthy."""
        return self.status == "active"


def machine_label(verdict: Verdict | None) -> str:
    if verdict is None:
        return "PENDING"
    return verdict.label.value if verdict.label else "FAILED"


def current_label(machine: str, decision: Decision | None) -> str:
    if decision is None or decision.state == "unreviewed":
        return machine
    if decision.state == "needs_evidence":
        return "NEEDS_EVIDENCE"
    return decision.label or machine


_ROWS: dict[tuple[int, int], tuple[RunView, dict, list]] = {}  # the last rows built, by their inputs' identity


def rows(view: RunView, decided: dict[str, Decision]) -> list[Row]:
    """One Row per claim (article order). The run and decisions are shared cached objects, so the rows
    built from them are kept too: a decision reruns four fragments that each ask (~5 ms per 500 claims)."""
    key = (id(view), id(decided))
    kept = _ROWS.get(key)
    if kept and kept[0] is view and kept[1] is decided:
        return kept[2]
    built = _build_rows(view, decided)
    if len(_ROWS) >= 8:
        _ROWS.clear()
    _ROWS[key] = (view, decided, built)  # holding both keeps their ids from being reused
    return built


def _build_rows(view: RunView, decided: dict[str, Decision]) -> list[Row]:
    out = []
    for claim in view.claims:
        verdict = view.verdicts.get(claim.id)
        decision = decided.get(claim.id)
        machine = machine_label(verdict)
        edit = view.edits.get(claim.id)
        survivor = view.edits.get(edit.merged_into) if edit and edit.merged_into else None
        out.append(Row(claim.id, claim.index + 1, machine, verdict_shown_confidence(verdict),  # None: no real one
                       decision.state if decision else "unreviewed", current_label(machine, decision),
                       edit.status if edit else "active", survivor.claim.index + 1 if survivor else None))
    return out


def matches(row: Row, verdicts: list[str], states: list[str], below: float | None) -> bool:
    """Filters combine with AND; an empty choice list means "any". A failed verdict has no
    confidence and counts as below every threshold (it needs a look most of all). A claim merged into
    another is out of the queue (it points to its survivor)."""
    if row.status == "merged":
        return False
    if verdicts and row.machine not in verdicts:
        return False
    if states and row.state not in states:
        return False
    if below is not None and row.confidence is not None and row.confidence >= below:
        return False
    return True


def next_unreviewed(order: list[str], current: str, states: dict[str, str]) -> str | None:
    """The first unreviewed claim after `current` in the list order, wrapping around."""
    if not order:
        return None
    start = order.index(current) + 1 if current in order else 0
    for claim_id in order[start:] + order[:start]:
        if claim_id != current and states.get(claim_id, "unreviewed") == "unreviewed":
            return claim_id
    return None

