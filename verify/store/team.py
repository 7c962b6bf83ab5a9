"""Team review: assignment events and the blind second review's decisions (migration 007_team_review).

Both tables are append-only logs. Who may write what, and what the logs mean (which assignment is in
force, what a disagreement is), live in verify/team.py; this module reads the logs and appends to them
in one write transaction, so a check made on a claim's current state cannot be raced by another writer.
"""

from __future__ import annotations

from typing import Callable, Literal

from ..errors import VerifyError
from ..models import NewReviewEvent, ReviewEvent, Strict, utcnow
from .connection import Connection

Slot = Literal["first", "second"]
TeamKind = Literal["second", "final"]


class AssignmentEvent(Strict):
    """`actor` assigned (or unassigned) `reviewer` to a whole run (claim_id None) or one claim, in a slot:
    'first' reviews as usual, 'second' reviews blind."""

    id: int = 0
    run_id: str
    claim_id: str | None = None
    reviewer: str
    slot: Slot
    action: Literal["assign", "unassign"]
    actor: str
    actor_role: str
    created_at: str = ""


class TeamDecision(Strict):
    """A blind second reviewer's decision (kind 'second'), or an editor's final decision on a disagreement
    (kind 'final', with the review event it wrote: reports read that one)."""

    id: int = 0
    run_id: str
    claim_id: str
    reviewer: str
    role: str
    kind: TeamKind
    action: Literal["approve", "reject", "needs_evidence"]
    label: str | None = None  # the label this decision gives the claim (approve: the machine's)
    note: str = ""
    review_event_id: int | None = None
    created_at: str = ""


class ClaimLog(Strict):
    """Everything that decides a claim's team state, read inside the write transaction."""

    assignments: list[AssignmentEvent]  # the run's, oldest first
    team: list[TeamDecision]  # the claim's, oldest first
    reviews: list[ReviewEvent]  # the claim's, oldest first


# Given the claim's log, the team decision to append and, for a final decision, the review event too.
DrawUp = Callable[[ClaimLog], tuple[TeamDecision, NewReviewEvent | None]]


class TeamTables(Connection):
    """The `assignment_events` and `team_decisions` tables. Rows are never updated or deleted."""

    def assignment_events(self, *, run_id: str | None = None, involving: str | None = None) -> list[AssignmentEvent]:
        """Assignment events, oldest first: of one run; or of every run where `involving` was ever assigned
        (all of those runs' events: a later assignment of someone else may have replaced them); or all."""
        if run_id is not None:
            rows = self.query("SELECT * FROM assignment_events WHERE run_id = ? ORDER BY id", (run_id,))
        elif involving is not None:
            rows = self.query("SELECT * FROM assignment_events WHERE run_id IN "
                              "(SELECT run_id FROM assignment_events WHERE reviewer = ?) ORDER BY id", (involving,))
        else:
            rows = self.query("SELECT * FROM assignment_events ORDER BY id")
        return [AssignmentEvent(**dict(row)) for row in rows]

    def append_assignments(self, events: list[AssignmentEvent]) -> list[AssignmentEvent]:
        """Several assignment events (a run's first and second reviewer, or many claims) in one transaction."""
        now = utcnow()
        out = []
        with self.transaction() as db:
            for event in events:
                _check_target(db, event.run_id, event.claim_id)
                new_id = _insert(db, "assignment_events",
                                 "INSERT INTO assignment_events (run_id, claim_id, reviewer, slot, action, actor, "
                                 "actor_role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (event.run_id, event.claim_id, event.reviewer, event.slot, event.action, event.actor,
                                  event.actor_role, now))
                out.append(event.model_copy(update={"id": new_id, "created_at": now}))
        return out

    def team_decisions(self, *, run_id: str | None = None, claim_id: str | None = None) -> list[TeamDecision]:
        """Second and final decisions of one claim, or else of a run (or of every run), oldest first."""
        if claim_id is None and run_id is None:
            rows = self.query("SELECT * FROM team_decisions ORDER BY id")
        else:
            rows = self._log_rows("team_decisions", run_id, claim_id)
        return [TeamDecision(**dict(row)) for row in rows]

    def append_team_decision(self, *, run_id: str, claim_id: str, draw_up: DrawUp) -> TeamDecision:
        """Append what `draw_up` makes of the claim's log, in one write transaction: a final decision's
        review event and its team row are written together or not at all."""
        with self.transaction() as db:
            _check_target(db, run_id, claim_id)
            log = ClaimLog(
                assignments=[AssignmentEvent(**dict(r)) for r in db.execute(
                    "SELECT * FROM assignment_events WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()],
                team=[TeamDecision(**dict(r)) for r in db.execute(
                    "SELECT * FROM team_decisions WHERE claim_id = ? ORDER BY id", (claim_id,)).fetchall()],
                reviews=[ReviewEvent(**dict(r)) for r in db.execute(
                    "SELECT * FROM review_events WHERE claim_id = ? ORDER BY id", (claim_id,)).fetchall()])
            decision, review = draw_up(log)
            now = utcnow()
            event_id = _insert_review_event(db, run_id, claim_id, review, now) if review else None
            new_id = _insert(db, "team_decisions",
                             "INSERT INTO team_decisions (run_id, claim_id, reviewer, role, kind, action, label, note, "
                             "review_event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (run_id, claim_id, decision.reviewer, decision.role, decision.kind, decision.action,
                              decision.label, decision.note, event_id, now))
        return decision.model_copy(update={"id": new_id, "run_id": run_id, "claim_id": claim_id,
                                           "review_event_id": event_id, "created_at": now})

    def team_version(self, run_id: str | None = None) -> tuple[int, int]:
        """Changes whenever the run's (or, without a run, any) assignments or team decisions change: a
        cache key. (0, 0): nothing was ever assigned."""
        if run_id is None:
            row = self.query("SELECT (SELECT COALESCE(MAX(id), 0) FROM assignment_events) AS a, "
                             "(SELECT COALESCE(MAX(id), 0) FROM team_decisions) AS t")[0]
        else:
            row = self.query("SELECT (SELECT COALESCE(MAX(id), 0) FROM assignment_events WHERE run_id = ?) AS a, "
                             "(SELECT COALESCE(MAX(id), 0) FROM team_decisions WHERE run_id = ?) AS t",
                             (run_id, run_id))[0]
        return row["a"], row["t"]

    def assigned_run_ids(self) -> list[str]:
        """Runs with any assignment event (the editor's disagreement queue looks only at these)."""
        return [row["run_id"] for row in self.query("SELECT DISTINCT run_id FROM assignment_events ORDER BY run_id")]


def _insert_review_event(db, run_id: str, claim_id: str, new: NewReviewEvent, now: str) -> int:
    return _insert(db, "review_events",
                   "INSERT INTO review_events (run_id, claim_id, reviewer, action, label_before, label_after, note, "
                   "created_at, previous_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (run_id, claim_id, new.reviewer, new.action, new.label_before, new.label_after, new.note, now,
                    new.previous_event_id))


def _insert(db, table: str, sql: str, params: tuple) -> int:
    """The id of the row an INSERT adds (on both engines: verify/store/connection.py)."""
    return db.insert(table, sql, params)["id"]


def _check_target(db, run_id: str, claim_id: str | None) -> None:
    """The run exists and the claim (when one is named) belongs to it."""
    if db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
        raise VerifyError(f"no run {run_id!r} in the store: `verify runs` lists the runs")
    if claim_id is None:
        return
    row = db.execute("SELECT run_id FROM claims WHERE id = ?", (claim_id,)).fetchone()
    if row is None or row["run_id"] != run_id:
        raise VerifyError(f"claim {claim_id} is not part of run {run_id}: `verify show {run_id}` lists its claims")
