"""The schema as verify wrote it before Alembic, frozen: named SQL migrations recorded in `schema_migrations`.

The schema now lives in Alembic's history (verify/store/alembic/versions/, revision ids = these names):
add a new migration THERE, never here. This list stays as the record of what older stores contain (the
ownership check and the tests that build such a store use it); schema.py stamps such a store and upgrades it.
"""

from __future__ import annotations

# PRAGMA application_id of every store this version creates: a file without it is adopted only if an
# older verify made it (recognised by its schema_migrations table), never a foreign SQLite database.
APPLICATION_ID = int.from_bytes(b"VRFY", "big")

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_initial",
        """
        CREATE TABLE articles (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, language TEXT NOT NULL,
            text TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id),
            created_at TEXT NOT NULL, status TEXT NOT NULL,
            settings TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE claims (
            id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL,
            text TEXT NOT NULL, text_en TEXT NOT NULL, span_start INTEGER, span_end INTEGER,
            anchor TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (run_id, idx)
        );
        CREATE TABLE evidence (
            claim_id TEXT NOT NULL REFERENCES claims(id), rank INTEGER NOT NULL,
            chunk_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (claim_id, rank)
        );
        CREATE TABLE verdicts (
            id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL UNIQUE REFERENCES claims(id), status TEXT NOT NULL,
            label TEXT, data TEXT NOT NULL, created_at TEXT NOT NULL
        );
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
            run_id TEXT, claim_id TEXT, purpose TEXT NOT NULL, model TEXT NOT NULL,
            prompt_id TEXT NOT NULL, prompt_version TEXT NOT NULL, prompt_sha256 TEXT NOT NULL,
            request_hash TEXT NOT NULL, params TEXT NOT NULL, messages TEXT NOT NULL,
            response TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL, latency_s REAL NOT NULL, error TEXT NOT NULL,
            cached INTEGER NOT NULL
        );
        CREATE INDEX llm_calls_request ON llm_calls (request_hash);
        CREATE INDEX llm_calls_run ON llm_calls (run_id);
        """,
    ),
    (
        "002_review_events",
        """
        CREATE TABLE review_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL REFERENCES claims(id), reviewer TEXT NOT NULL,
            action TEXT NOT NULL, label_before TEXT, label_after TEXT, note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL, previous_event_id INTEGER
        );
        CREATE INDEX review_events_claim ON review_events (claim_id, id);
        """,
    ),
    (
        # The model a server said answered each call: a cached reply is served only to the same model.
        "003_llm_calls_served_model",
        "ALTER TABLE llm_calls ADD COLUMN served_model TEXT NOT NULL DEFAULT ''",
    ),
    (
        # Reviewer citations (issue 11): sentences a reviewer cites as supporting or refuting a claim, and
        # withdrawals of them; append-only like review_events. `source` is the SourceMeta JSON at citing.
        "004_review_citations",
        """
        CREATE TABLE review_citations (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL REFERENCES claims(id), reviewer TEXT NOT NULL, action TEXT NOT NULL,
            stance TEXT, chunk_id TEXT NOT NULL DEFAULT '', source_id TEXT NOT NULL DEFAULT '',
            sentence_index INTEGER NOT NULL DEFAULT 0, text TEXT NOT NULL DEFAULT '',
            start_char INTEGER NOT NULL DEFAULT 0, end_char INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT 'null', note TEXT NOT NULL DEFAULT '',
            withdraws INTEGER REFERENCES review_citations(id), created_at TEXT NOT NULL
        );
        CREATE INDEX review_citations_claim ON review_citations (claim_id, id);
        CREATE INDEX review_citations_run ON review_citations (run_id, id)
        """,
    ),
    (
        # Claim edits (added by hand, reworded, not check-worthy, merged, re-judged): an append-only log;
        # before/after are JSON. A claim row is never changed: the effective claim is replayed from these.
        "005_claim_events",
        """
        CREATE TABLE claim_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL REFERENCES claims(id), actor TEXT NOT NULL, action TEXT NOT NULL,
            before TEXT NOT NULL DEFAULT 'null', after TEXT NOT NULL DEFAULT 'null', note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX claim_events_run ON claim_events (run_id, id)
        """,
    ),
    (
        # Claim memory (issue 14): a claim of a run that resembles a claim already reviewed in another run
        # (verify/memory.py). Derived data: `verify memory RUN` recomputes a run's rows.
        "006_claim_memory",
        """
        CREATE TABLE claim_memory (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL REFERENCES claims(id), source_run_id TEXT NOT NULL REFERENCES runs(id),
            source_claim_id TEXT NOT NULL REFERENCES claims(id), score REAL NOT NULL, embedder TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX claim_memory_claim ON claim_memory (claim_id, score);
        CREATE INDEX claim_memory_run ON claim_memory (run_id)
        """,
    ),
    (
        # Team review (issue 14): assignments and the blind second review, both append-only.
        # assignment_events: an editor assigns a run (claim_id NULL) or one claim to a reviewer in a slot
        # ('first' or 'second': the blind second reviewer), or unassigns them; the latest event per
        # (run, claim, slot) is in force. team_decisions: a second reviewer's blind decision (kind 'second')
        # and an editor's resolution of a disagreement (kind 'final', role 'editor' or 'admin', with the
        # review_events row it also wrote so reports use it).
        "007_team_review",
        """
        CREATE TABLE assignment_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT REFERENCES claims(id), reviewer TEXT NOT NULL, slot TEXT NOT NULL,
            action TEXT NOT NULL, actor TEXT NOT NULL, actor_role TEXT NOT NULL, created_at TEXT NOT NULL
        );
        CREATE INDEX assignment_events_run ON assignment_events (run_id, id);
        CREATE INDEX assignment_events_reviewer ON assignment_events (reviewer, id);
        CREATE TABLE team_decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(id),
            claim_id TEXT NOT NULL REFERENCES claims(id), reviewer TEXT NOT NULL, role TEXT NOT NULL,
            kind TEXT NOT NULL, action TEXT NOT NULL, label TEXT, note TEXT NOT NULL DEFAULT '',
            review_event_id INTEGER REFERENCES review_events(id), created_at TEXT NOT NULL
        );
        CREATE INDEX team_decisions_claim ON team_decisions (claim_id, id);
        CREATE INDEX team_decisions_run ON team_decisions (run_id, id)
        """,
    ),
]
