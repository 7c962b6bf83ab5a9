"""Claim memory: which claims of a run resemble claims already reviewed in earlier runs.

The matching itself (embedder, lexical check, threshold) lives in verify/memory.py; this module stores
its result per run and reads it back for the dashboard, which shows the earlier decision as a suggestion
without loading any model. A run's matches are derived data: recomputing them replaces them whole.
"""

from __future__ import annotations

from ..models import Strict, utcnow
from .connection import Connection


class MemoryMatch(Strict):
    """Claim `claim_id` of run `run_id` resembles the reviewed claim `source_claim_id` of `source_run_id`."""

    run_id: str
    claim_id: str
    source_run_id: str
    source_claim_id: str
    score: float  # cosine similarity of the closest forms (text or English form) of the two claims
    embedder: str
    created_at: str = ""


class MemoryTables(Connection):
    """The `claim_memory` table (migration 006_claim_memory)."""

    def reviewed_claims_elsewhere(self, run_id: str) -> list[tuple[str, str]]:
        """(run id, claim id) of every claim of another run that has review events, oldest run first:
        the candidates a claim of `run_id` may be matched with (verify/memory.py keeps the decided ones)."""
        rows = self.query("SELECT e.run_id, e.claim_id FROM review_events e JOIN runs r ON r.id = e.run_id "
                          "WHERE e.run_id != ? GROUP BY e.run_id, e.claim_id, r.created_at "
                          "ORDER BY r.created_at, e.claim_id", (run_id,))
        return [(row["run_id"], row["claim_id"]) for row in rows]

    def replace_memory_matches(self, run_id: str, matches: list[MemoryMatch]) -> None:
        """The run's matches, in one transaction: the earlier ones go, the new ones come in together."""
        now = utcnow()
        with self.transaction() as db:
            db.execute("DELETE FROM claim_memory WHERE run_id = ?", (run_id,))
            for m in matches:
                db.execute("INSERT INTO claim_memory (run_id, claim_id, source_run_id, source_claim_id, score, "
                           "embedder, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (run_id, m.claim_id, m.source_run_id, m.source_claim_id, m.score, m.embedder, now))

    def memory_matches(self, *, run_id: str | None = None, claim_id: str | None = None) -> list[MemoryMatch]:
        """The stored matches of one claim, or else of a whole run, closest first."""
        if claim_id is not None:
            rows = self.query("SELECT * FROM claim_memory WHERE claim_id = ? ORDER BY score DESC, id", (claim_id,))
        else:
            rows = self.query("SELECT * FROM claim_memory WHERE run_id = ? ORDER BY claim_id, score DESC, id",
                              (run_id,))
        return [MemoryMatch(**{k: row[k] for k in MemoryMatch.model_fields}) for row in rows]
