"""Claim events: an append-only log of the edits people make to a run's claims.

The rules (what an edit may do, how the effective claim is replayed) live in verify/claim_edits.py;
this module only guarantees that reading the run's events, checking them and appending the new one
happen in one write transaction, so two people editing the same run cannot interleave.
"""

from __future__ import annotations

import json
from typing import Callable

from ..models import Claim, Evidence, Verdict, utcnow
from .connection import Connection, Record, Tx
from .runs import claim_row, write_judgement

# Given the run's claim events so far (dicts, oldest first), the event to append as
# (claim_id, actor, action, before, after, note); it may raise to append nothing.
DrawUp = Callable[[list[dict]], tuple[str, str, str, object, object, str]]


class ClaimEventTables(Connection):
    """The `claim_events` table. Events are never updated or deleted; claim rows are only ever added."""

    def claim_events(self, run_id: str) -> list[dict]:
        """The run's claim events, oldest first, with before/after parsed from JSON."""
        rows = self.query("SELECT * FROM claim_events WHERE run_id = ? ORDER BY id", (run_id,))
        return [_event(row) for row in rows]

    def last_claim_event(self, run_id: str) -> int:
        """The id of the run's latest claim event (0 if none): part of the dashboard's cache key."""
        return self.query("SELECT COALESCE(MAX(id), 0) AS n FROM claim_events WHERE run_id = ?", (run_id,))[0]["n"]

    def append_claim_event(self, run_id: str, draw_up: DrawUp, new_claim: Callable[[list[dict], int], Claim] | None = None,
                           judgement: tuple[Claim, list[Evidence], Verdict] | None = None) -> dict:
        """Append the event `draw_up` makes of the run's events, in one BEGIN IMMEDIATE transaction.

        `new_claim(events, next_index)` adds a claim row first (a claim added by hand); `judgement`
        replaces the claim's evidence and verdict in the same transaction (a re-judged claim: the old
        verdict is in the event's `before`, so it is never lost)."""
        with self.transaction() as db:
            events = [_event(row) for row in
                      db.execute("SELECT * FROM claim_events WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()]
            if new_claim is not None:
                db.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           claim_row(new_claim(events, _next_index(db, run_id))))
            claim_id, actor, action, before, after, note = draw_up(events)
            if judgement is not None:
                write_judgement(db, *judgement)
            row = db.insert(
                "claim_events", "INSERT INTO claim_events (run_id, claim_id, actor, action, before, after, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, claim_id, actor, action, json.dumps(before, ensure_ascii=False),
                 json.dumps(after, ensure_ascii=False), note, utcnow()))
        return _event(row)


def _event(row: Record) -> dict:
    event = dict(row)
    event["before"], event["after"] = json.loads(event["before"]), json.loads(event["after"])
    return event


def _next_index(db: Tx, run_id: str) -> int:
    # Claim numbers people already refer to never change: a claim added by hand is numbered after the rest.
    return db.execute("SELECT COALESCE(MAX(idx), -1) + 1 FROM claims WHERE run_id = ?", (run_id,)).fetchone()[0]
