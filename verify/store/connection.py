"""The store's connection: opening (read-only or writable), ownership check, migrations,
transactions and the error messages a locked, full or damaged file gets.

WAL mode lets the dashboard read while a run writes. The tables are read and written by the
subclasses in this package (runs.py, call_log.py, reviews.py); `verify.store.Store` combines them.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import StoreError
from ..models import utcnow
from .migrations import APPLICATION_ID, MIGRATIONS


class Connection:
    """The store at `path`. Writing commands create and migrate it; `read_only=True` (runs, show,
    report) needs an existing store, opens it with SQLite's mode=ro and never writes to it."""

    def __init__(self, path: Path | str, timeout_s: float | None = None, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.problems: list[str] = []  # stored rows that could not be read, named; the CLI prints them
        if timeout_s is None:  # how long to wait for another process's write lock (VERIFY_DB_TIMEOUT)
            from ..config import Settings

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
                Connection(self.path, timeout_s).close()
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
        """Raw rows, for the store's own methods and for tests; everything else calls a named method."""
        with self._lock:
            try:
                return self.db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(_explain(exc, self.path)) from exc

    def _log_rows(self, table: str, run_id: str | None, claim_id: str | None) -> list[sqlite3.Row]:
        """The rows of an append-only event log (review_events, review_citations) of one claim, or else of
        a whole run, oldest first."""
        column, key = ("claim_id", claim_id) if claim_id is not None else ("run_id", run_id)
        return self.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", (key,))

    def close(self) -> None:
        with self._lock:
            self.db.close()

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
