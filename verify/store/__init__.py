"""SQLite store: runs, articles, claims, evidence, verdicts, review events and every LLM call.

All of verify's SQL lives in this package, split by table group: connection.py (opening, ownership,
migrations, transactions, error messages), migrations.py (the schema), runs.py, call_log.py,
reviews.py, citations.py, claim_events.py and memory.py. Each claim's writes are one transaction. Importing it loads no model code.
"""

from __future__ import annotations

from .call_log import CallTables
from .citations import CitationTables
from .claim_events import ClaimEventTables
from .connection import Connection
from .memory import MemoryMatch, MemoryTables
from .migrations import APPLICATION_ID, MIGRATIONS
from .reviews import ReviewTables
from .runs import RetrievedSource, RunTables, RunVersion, StoreVersion
from .team import TeamTables


class Store(RunTables, CallTables, ReviewTables, ClaimEventTables, CitationTables, MemoryTables, TeamTables):
    """The store at `path`. Writing commands create and migrate it; `read_only=True` (runs, show,
    report, the dashboard's reads) needs an existing store, opens it with SQLite's mode=ro and never
    writes to it."""


__all__ = ["APPLICATION_ID", "MIGRATIONS", "Connection", "MemoryMatch", "RetrievedSource", "RunVersion", "Store", "StoreVersion"]
