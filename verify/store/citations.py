"""Reviewer citations: an append-only log of sentences reviewers cite for a claim (and withdraw).

The rules (who may withdraw what, which citations are in force) live in verify/review.py; this module
reads the log in order and appends to it after checking, in the same write transaction, that the claim
belongs to the run.
"""

from __future__ import annotations

import json

from ..errors import VerifyError
from ..models import ReviewCitation, utcnow
from .connection import Connection, Record
from .reviews import _check_claim

_COLUMNS = ("run_id, claim_id, reviewer, action, stance, chunk_id, source_id, sentence_index, text, start_char, "
            "end_char, origin, source, note, withdraws, created_at")


class CitationTables(Connection):
    """The `review_citations` table. Rows are never updated or deleted."""

    def review_citations(self, *, run_id: str | None = None, claim_id: str | None = None,
                         after: int = 0) -> list[ReviewCitation]:
        """The citation events of one claim, or else of a whole run, oldest first (with `after`: those after that id)."""
        return [_citation(row) for row in self._log_rows("review_citations", run_id, claim_id, after)]

    def append_review_citation(self, event: ReviewCitation) -> ReviewCitation:
        """Append `event` (its id and time are given here); a withdrawal must name a cite of the same claim."""
        with self.transaction() as db:
            _check_claim(db, event.run_id, event.claim_id, None)
            if event.action == "withdraw":
                target = db.execute("SELECT claim_id, action FROM review_citations WHERE id = ?",
                                    (event.withdraws,)).fetchone()
                if target is None or target["claim_id"] != event.claim_id or target["action"] != "cite":
                    raise VerifyError(f"citation {event.withdraws} is not a citation of this claim; reload the claim")
            source = event.source.model_dump_json() if event.source else "null"
            row = db.insert(
                "review_citations", f"INSERT INTO review_citations ({_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                (event.run_id, event.claim_id, event.reviewer, event.action, event.stance, event.chunk_id,
                 event.source_id, event.sentence_index, event.text, event.start, event.end, event.origin, source,
                 event.note, event.withdraws, utcnow()))
        return _citation(row)


def _citation(row: Record) -> ReviewCitation:
    data = dict(row)
    data["start"], data["end"] = data.pop("start_char"), data.pop("end_char")
    data["source"] = json.loads(data["source"])
    return ReviewCitation(**data)
