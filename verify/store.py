"""SQLite store: runs, articles, claims, evidence, verdicts, review events and every LLM call.

Schema changes are append-only named migrations, recorded in `schema_migrations`; an older store is
migrated on open. WAL mode lets the dashboard read while a run writes; each claim's writes are one
transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import StoreError
from .llm import CallLog, CallRecord
from .models import Article, Claim, Evidence, PromptRef, Run, Usage, Verdict, utcnow

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
]


class Store:
    """The store at `path`. Writing commands create and migrate it; `read_only=True` (runs, show,
    report) needs an existing store, opens it with SQLite's mode=ro and never writes to it."""

    def __init__(self, path: Path | str, timeout_s: float | None = None, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.problems: list[str] = []  # stored rows that could not be read, named; the CLI prints them
        if timeout_s is None:  # how long to wait for another process's write lock (VERIFY_DB_TIMEOUT)
            from .config import Settings

            timeout_s = Settings.from_env().db_timeout_s
        self._lock = threading.RLock()
        if read_only and not self.path.is_file():  # a typo in --db must not create an empty store
            raise StoreError(f"no store at {self.path}: check --db or VERIFY_DB (`verify run` creates the store)")
        try:
            self.db = self._connect(timeout_s)
            self._check_owner()  # before anything is written, even the journal mode
            if not read_only:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.migrate()
            elif self._pending_migrations():  # an older verify's store: upgrade it once, then read
                self.db.close()
                Store(self.path, timeout_s).close()
                self.db = self._connect(timeout_s)
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    def _connect(self, timeout_s: float) -> sqlite3.Connection:
        if self.read_only:
            db = _open_read_only(self.path, timeout_s)
        else:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=timeout_s, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        return db

    # --- schema ---------------------------------------------------------------------------------

    def _check_owner(self) -> None:
        """Refuse an SQLite file some other program made: adding our tables to it would corrupt its data."""
        if self.db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            return
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and not self.read_only:
            return  # a new (or empty) file: ours to set up
        if not tables:
            raise StoreError(f"{self.path} is an empty file, not a verify store: check --db or VERIFY_DB")
        if "schema_migrations" in tables and {"runs", "claims"} <= tables:
            names = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
            if MIGRATIONS[0][0] in names:
                return  # written by a verify from before the marker; migrate() stamps it
        raise StoreError(
            f"{self.path} is an SQLite database that verify did not create (tables: {', '.join(sorted(tables)[:5])}); "
            "it was left untouched: choose another --db or VERIFY_DB"
        )

    def _pending_migrations(self) -> list[str]:
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        _refuse_newer(done, self.path)
        return [name for name, _ in MIGRATIONS if name not in done]

    def migrate(self) -> list[str]:
        with self.transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            done = {row["name"] for row in db.execute("SELECT name FROM schema_migrations")}
            _refuse_newer(done, self.path)
            applied = []
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, utcnow()))
                applied.append(name)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a locked or corrupted file becomes a StoreError that says what to do."""
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                yield self.db
                self.db.execute("COMMIT")
            except BaseException as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
                        exc, sqlite3.IntegrityError):
                    raise StoreError(_explain(exc, self.path)) from exc
                raise

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(_explain(exc, self.path)) from exc

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- articles and runs ------------------------------------------------------------------------

    def save_article(self, article: Article) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?, ?)",
                (article.id, article.title, article.language, article.text, article.source, utcnow()),
            )

    def get_article(self, article_id: str) -> Article:
        rows = self.query("SELECT id, title, language, text, source FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise StoreError(f"no article {article_id} in {self.path}")
        return Article(**dict(rows[0]))

    def create_run(self, run: Run) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (run.id, run.article_id, run.created_at, run.status, run.settings.model_dump_json(),
                 json.dumps(run.summary)),
            )

    def finish_run(self, run_id: str, status: str, summary: dict) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = ?, summary = ? WHERE id = ?", (status, json.dumps(summary), run_id))

    def get_run(self, run_id: str) -> Run:
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.path}: `verify runs` lists the runs")
        try:
            return _run(rows[0])
        except ValueError as exc:
            raise StoreError(f"runs row {run_id!r} in {self.path} is unreadable ({_short(exc)}); "
                             "the file may be damaged: keep a copy before running anything else on it") from exc

    def list_runs(self) -> list[Run]:
        return self._readable("runs", "id", self.query("SELECT * FROM runs ORDER BY created_at DESC, id DESC"), _run)

    def _readable(self, table: str, key: str, rows: list[sqlite3.Row], parse) -> list:
        """Each row parsed; a row whose stored JSON is damaged is named in `problems` and left out,
        so one bad row does not hide the rest of a run."""
        out = []
        for row in rows:
            try:
                out.append(parse(row))
            except ValueError as exc:  # bad JSON or a pydantic ValidationError
                self.note_unreadable(table, row[key], exc, "left out")
        return out

    def note_unreadable(self, table: str, key, exc: Exception, consequence: str) -> None:
        problem = f"{table} row {key!r} in {self.path} is unreadable ({_short(exc)}); {consequence}"
        if problem not in self.problems:
            self.problems.append(problem)

    # --- claims, evidence, verdicts ---------------------------------------------------------------

    def save_claims(self, claims: list[Claim]) -> None:
        with self.transaction() as db:
            for claim in claims:
                db.execute(
                    "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (claim.id, claim.run_id, claim.index, claim.text, claim.text_en,
                     claim.span.start if claim.span else None, claim.span.end if claim.span else None,
                     claim.anchor, claim.model_dump_json()),
                )

    def get_claims(self, run_id: str) -> list[Claim]:
        rows = self.query("SELECT id, data FROM claims WHERE run_id = ? ORDER BY idx", (run_id,))
        return self._readable("claims", "id", rows, lambda row: Claim.model_validate_json(row["data"]))

    def save_judgement(self, claim: Claim, evidence: list[Evidence], verdict: Verdict) -> None:
        """Evidence and verdict of one claim, in one transaction: a crash leaves neither or both."""
        with self.transaction() as db:
            db.execute("DELETE FROM evidence WHERE claim_id = ?", (claim.id,))
            for item in evidence:
                db.execute("INSERT INTO evidence VALUES (?, ?, ?, ?)",
                           (claim.id, item.rank, item.chunk.id, item.model_dump_json()))
            db.execute(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)",
                (verdict.id, verdict.run_id, verdict.claim_id, verdict.status,
                 verdict.label.value if verdict.label else None, verdict.model_dump_json(), verdict.created_at),
            )

    def get_evidence(self, claim_id: str) -> list[Evidence]:
        rows = self.query("SELECT claim_id || ':' || rank AS key, data FROM evidence WHERE claim_id = ? ORDER BY rank",
                          (claim_id,))
        return self._readable("evidence", "key", rows, lambda row: Evidence.model_validate_json(row["data"]))

    def get_verdicts(self, run_id: str) -> dict[str, Verdict]:
        rows = self.query("SELECT * FROM verdicts WHERE run_id = ?", (run_id,))
        verdicts = [self._verdict(row) for row in rows]
        return {v.claim_id: v for v in verdicts}

    def _verdict(self, row: sqlite3.Row) -> Verdict:
        """A verdict whose stored JSON is damaged becomes a failed verdict that says so and keeps the
        stored text: the claim is still shown, and no label is taken from a damaged row."""
        try:
            return Verdict.model_validate_json(row["data"])
        except ValueError as exc:
            self.note_unreadable("verdicts", row["id"], exc, "its claim is shown as failed")
            return Verdict(id=row["id"], run_id=row["run_id"], claim_id=row["claim_id"], status="error", label=None,
                           model="unknown", prompt=PromptRef(id="unknown", version="unknown", sha256=""),
                           error=f"the stored verdict (verdicts row {row['id']!r}) is unreadable: {_short(exc)}",
                           raw_output=str(row["data"]), created_at=row["created_at"])

    # --- LLM call log and cache ---------------------------------------------------------------------

    def call_log(self) -> CallLog:
        return CallLog(lookup=self.cached_response, record=self.record_call)

    def cached_response(self, request_hash: str) -> dict | None:
        """The latest reply to this request that the model actually sent and that validated: failed
        tries and invalid replies are logged with an error and never served again."""
        rows = self.query(
            "SELECT response, prompt_tokens, completion_tokens, total_tokens, served_model FROM llm_calls "
            "WHERE request_hash = ? AND error = '' AND cached = 0 ORDER BY id DESC LIMIT 1",
            (request_hash,),
        )
        if not rows:
            return None
        row = rows[0]
        usage = {k: row[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        return {"response": row["response"], "usage": usage, "served_model": row["served_model"]}

    def record_call(self, rec: CallRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO llm_calls (created_at, run_id, claim_id, purpose, model, prompt_id, prompt_version, "
                "prompt_sha256, request_hash, params, messages, response, prompt_tokens, completion_tokens, "
                "total_tokens, latency_s, error, cached, served_model) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (utcnow(), rec.run_id, rec.claim_id, rec.purpose, rec.model, rec.prompt.id, rec.prompt.version,
                 rec.prompt.sha256, rec.request_hash, json.dumps(rec.params), json.dumps(rec.messages),
                 rec.response, rec.usage.prompt_tokens, rec.usage.completion_tokens, rec.usage.total_tokens,
                 rec.usage.latency_s, rec.error, int(rec.cached), rec.served_model),
            )

    def last_call_id(self) -> int:
        return self.query("SELECT COALESCE(MAX(id), 0) AS n FROM llm_calls")[0]["n"]

    def call_usage(self, run_id: str, after_id: int = 0) -> Usage:
        """What a run cost, from the call log: requests sent to the model (failed tries included) with
        their tokens and time, and replies answered from the cache (no tokens spent) counted apart."""
        row = self.query(
            "SELECT COALESCE(SUM(cached = 0), 0) AS calls, COALESCE(SUM(cached = 1), 0) AS cached_calls, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN prompt_tokens END), 0) AS prompt_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN completion_tokens END), 0) AS completion_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN total_tokens END), 0) AS total_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN latency_s END), 0) AS latency_s "
            "FROM llm_calls WHERE run_id = ? AND id > ?", (run_id, after_id))[0]
        return Usage(**{**dict(row), "latency_s": round(row["latency_s"], 4)})

    def llm_calls(self, run_id: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id", (run_id,))


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"], article_id=row["article_id"], created_at=row["created_at"], status=row["status"],
        settings=json.loads(row["settings"]), summary=json.loads(row["summary"]),
    )


def _refuse_newer(done: set[str], path: Path) -> None:
    unknown = done - {name for name, _ in MIGRATIONS}
    if unknown:
        raise StoreError(f"{path} was written by a newer verify (migrations {sorted(unknown)}); upgrade verify")


def _open_read_only(path: Path, timeout_s: float) -> sqlite3.Connection:
    """mode=ro never writes. A WAL store in a folder nobody may write to (read-only media, a shared
    archive) cannot get its -shm file; then it is read as immutable, since nothing can be changing it."""
    uri = path.resolve().as_uri()
    for query in ("?mode=ro", "?immutable=1"):
        db = sqlite3.connect(uri + query, uri=True, timeout=timeout_s, check_same_thread=False, isolation_level=None)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            if "readonly" not in str(exc) and "unable to open" not in str(exc):
                raise
    raise StoreError(f"the store {path} could not be opened for reading (read-only folder?); copy it somewhere readable")


def _short(exc: Exception) -> str:
    """One line of a JSON or validation error."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{first['msg']}" + (f" at {where}" if where else "")
    return str(exc).splitlines()[0]


def _explain(exc: sqlite3.DatabaseError, path: Path) -> str:
    text = str(exc)
    if "readonly" in text:
        return (f"the store {path} is read-only ({text}); `verify runs`, `show` and `report` can read it, "
                "other commands need a store they can write: use --db or VERIFY_DB=<other file>")
    if "disk is full" in text:
        return f"the disk holding the store {path} is full ({text}); free some space and run again (the failed change was not written)"
    if "locked" in text:
        return f"the store {path} is locked by another process ({text}); wait for it or use VERIFY_DB=<other file>"
    if "not a database" in text or "malformed" in text:
        return f"the store {path} is not a readable SQLite database ({text}); move it aside and run again"
    return f"store {path}: {text}"
