"""Review events: an append-only log, read in order and appended under the optimistic-lock check.

The rules of a decision (what a conflict is, which label an undo leaves) live in verify/review.py;
this module only guarantees that reading a claim's events, checking them and appending the new one
happen in one write transaction, so no other reviewer's event can land in between.
"""

from __future__ import annotations

from typing import Callable

from ..errors import VerifyError
from ..models import NewReviewEvent, ReviewEvent, utcnow
from .connection import Connection, Tx

# Given the claim's events so far (oldest first), the event to append; it may raise to append nothing.
DrawUp = Callable[[list[ReviewEvent]], NewReviewEvent]


class ReviewTables(Connection):
    """The `review_events` table. Events are never updated or deleted."""

    def review_events(self, *, run_id: str | None = None, claim_id: str | None = None, after: int = 0) -> list[ReviewEvent]:
        """The events of one claim, or else of a whole run, oldest first (with `after`: those after that id)."""
        return [ReviewEvent(**dict(row)) for row in self._log_rows("review_events", run_id, claim_id, after)]

    def append_review_event(self, *, run_id: str, claim_id: str, expected_last_event: int | None,
                            draw_up: DrawUp) -> ReviewEvent:
        """Append the event `draw_up` makes of the claim's current events, in one write transaction
        (BEGIN IMMEDIATE: a second reviewer's decision waits until this one is written or refused)."""
        with self.transaction() as db:
            _check_claim(db, run_id, claim_id, expected_last_event)
            rows = db.execute("SELECT * FROM review_events WHERE claim_id = ? ORDER BY id", (claim_id,)).fetchall()
            new = draw_up([ReviewEvent(**dict(row)) for row in rows])
            row = db.insert(
                "review_events", "INSERT INTO review_events (run_id, claim_id, reviewer, action, label_before, label_after, note, "
                "created_at, previous_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, claim_id, new.reviewer, new.action, new.label_before, new.label_after, new.note, utcnow(),
                 new.previous_event_id),
            )
        return ReviewEvent(**dict(row))


def _check_claim(db: Tx, run_id: str, claim_id: str, expected_last_event: int | None) -> None:
    """Refuse a decision whose claim is not in the run, or whose form saw an event of another claim:
    a decision is written on the claim its form was shown for, never on a neighbour."""
    row = db.execute("SELECT run_id FROM claims WHERE id = ?", (claim_id,)).fetchone()
    if row is None or row["run_id"] != run_id:
        raise VerifyError(f"claim {claim_id} is not part of run {run_id}; reopen the run and decide again")
    if expected_last_event is not None:
        seen = db.execute("SELECT claim_id FROM review_events WHERE id = ?", (expected_last_event,)).fetchone()
        if seen is None or seen["claim_id"] != claim_id:
            raise VerifyError(f"this decision form was not shown for claim {claim_id}; "
                              "reopen the claim and decide again")
