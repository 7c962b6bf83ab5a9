"""The store: runs, articles, claims, evidence, verdicts, review events and every LLM call.

An SQLite file (the embedded default) or a PostgreSQL database for a team (VERIFY_DB=postgresql://...),
through SQLAlchemy 2 Core; the schema is one Alembic history for both (alembic/versions/, applied on open
by schema.py). All of verify's SQL lives in this package, split by table group: connection.py (opening,
ownership, transactions, error messages, what differs between the two engines), location.py (where the
store is), runs.py, call_log.py, reviews.py, citations.py, claim_events.py, memory.py and team.py. Each
claim's writes are one transaction. Importing it loads no model code.
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
    """The store at `path` (a file, sqlite:///file or postgresql://...). Writing commands create and migrate
    it; `read_only=True` (runs, show, report, the dashboard's reads) needs an existing store, opens it
    read-only (SQLite's mode=ro, a PostgreSQL read-only session) and never writes to it."""


__all__ = ["APPLICATION_ID", "MIGRATIONS", "Connection", "MemoryMatch", "RetrievedSource", "RunVersion", "Store", "StoreVersion"]
