"""The store's connection: opening (read-only or writable), ownership check, migrations,
transactions and the error messages a locked, full or damaged store gets.

One SQLAlchemy engine per store, on SQLite (the embedded default: a file) or PostgreSQL (teams:
VERIFY_DB=postgresql://...). The SQL is shared; what differs is kept here:
- SQLite: one sqlite3 connection (WAL, busy timeout, read-only `mode=ro`, the file's application_id as
  ownership mark); a write transaction is BEGIN IMMEDIATE, so writers queue and readers never wait.
- PostgreSQL: a pooled psycopg connection; a write transaction takes one store-wide advisory lock
  (waiting at most VERIFY_DB_TIMEOUT), so writers queue exactly as on SQLite and a review decision's
  read-check-append cannot interleave with another's; read-only stores open read-only sessions.
The tables are read and written by the subclasses in this package (runs.py, call_log.py, reviews.py);
`verify.store.Store` combines them.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import StaticPool

from ..errors import StoreError
from . import location, schema
from .migrations import APPLICATION_ID, MIGRATIONS

# pg_advisory_xact_lock key of the store-wide write lock ("VRFY", as the SQLite application_id).
WRITE_LOCK = APPLICATION_ID


class Record:
    """A row readable by position, by column name and as a dict (as sqlite3.Row was)."""

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: tuple[str, ...], values: tuple):
        self._keys, self._values = keys, values

    def __getitem__(self, key: int | str):
        return self._values[key] if isinstance(key, int) else self._values[self._keys.index(key)]

    def keys(self) -> tuple[str, ...]:
        return self._keys

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Record({dict(zip(self._keys, self._values))!r})"


class Rows:
    """What Tx.execute returns: the statement's rows (none for a write) and the id an insert gave."""

    def __init__(self, records: list[Record], lastrowid: int | None = None):
        self.records, self.lastrowid = records, lastrowid

    def fetchone(self) -> Record | None:
        return self.records[0] if self.records else None

    def fetchall(self) -> list[Record]:
        return self.records

    def __iter__(self):
        return iter(self.records)


class Tx:
    """The connection of one write transaction: `execute(sql, params)` with `?` or `:name` parameters."""

    def __init__(self, conn):
        self.conn = conn
        self.dialect = conn.dialect.name

    def execute(self, sql: str, params: tuple | list | dict = ()) -> Rows:
        return _run(self.conn, sql, params)

    def insert(self, table: str, sql: str, params: tuple | dict) -> Record:
        """Run an INSERT into a table with an `id` key and return the new row."""
        new_id = self.execute(sql, params).lastrowid
        return self.execute(f"SELECT * FROM {table} WHERE id = ?", (new_id,)).fetchone()


@functools.lru_cache(maxsize=512)
def _format_style(sql: str) -> str:
    """qmark SQL in psycopg's style: ? becomes %s, a literal % is doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


# Tables whose `id` the database assigns: an INSERT into one of them reports the new id as `lastrowid`
# on both engines (SQLite's cursor gives it; on PostgreSQL the INSERT gets RETURNING id).
IDENTITY_TABLES = {"llm_calls", "review_events", "review_citations", "claim_events", "claim_memory",
                   "assignment_events", "team_decisions"}
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def _run(conn, sql: str, params: tuple | list | dict = ()) -> Rows:
    """`?` parameters go to the driver as they are (SQLite's own style; `%s` for psycopg), with no SQL
    compilation per call: a dashboard page runs dozens of small queries. `:name` parameters go through text()."""
    postgres = conn.dialect.name == "postgresql"
    insert = _INSERT.match(sql)
    returning_id = postgres and insert and insert.group(1) in IDENTITY_TABLES and "RETURNING" not in sql.upper()
    if returning_id:
        sql += " RETURNING id"
    if isinstance(params, dict):
        result = conn.execute(text(sql), params)
    else:
        result = conn.exec_driver_sql(_format_style(sql) if postgres and params else sql, tuple(params))
    if returning_id:
        return Rows([], result.scalar_one())
    if not result.returns_rows:
        return Rows([], None if postgres else result.lastrowid)
    keys = tuple(result.keys())
    return Rows([Record(keys, tuple(row)) for row in result])


class Connection:
    """The store at `path` (a file, sqlite:///file or postgresql://...). Writing commands create and
    migrate it; `read_only=True` (runs, show, report) needs an existing store and never writes to it."""

    def __init__(self, path: Path | str, timeout_s: float | None = None, *, read_only: bool = False):
        self.location = location.parse(path)
        self.postgres = location.is_postgres(self.location)
        self.path: Path | str = location.shown(self.location) if self.postgres else self.location  # named in messages
        self.read_only = read_only
        self.problems: list[str] = []  # stored rows that could not be read, named; the CLI prints them
        if timeout_s is None:  # how long to wait for another process's write lock (VERIFY_DB_TIMEOUT)
            from ..config import Settings

            timeout_s = Settings.from_env().db_timeout_s
        self.timeout_s = timeout_s
        self._lock = threading.RLock()
        self._tx: Tx | None = None  # the open write transaction (its thread holds _lock)
        if not self.postgres and read_only and not self.path.is_file():  # a typo in --db must not create an empty store
            raise StoreError(f"no store at {self.path}: check --db or VERIFY_DB (`verify run` creates the store)")
        self.db: sqlite3.Connection | None = None  # SQLite only: the raw connection (tests checkpoint through it)
        self._sqlite = None  # SQLite only: the SQLAlchemy connection over it
        try:
            self._open()
            self._check_owner()  # before anything is written, even the journal mode
            if not read_only:
                if not self.postgres:
                    self.query("PRAGMA journal_mode=WAL")
                self.migrate()
            elif self._pending_migrations():  # an older verify's store: upgrade it once, then read
                self.close()
                Connection(self.location, timeout_s).close()
                self._open()
        except (sqlite3.DatabaseError, sa_exc.DBAPIError) as exc:
            self.close()
            raise StoreError(self._explain(exc)) from exc
        except StoreError:
            self.close()
            raise

    def _open(self) -> None:
        if self.postgres:
            self.engine = _postgres_engine(self.location, self.timeout_s, self.read_only)
            return
        self.db = self._connect(self.timeout_s)
        raw = self.db
        # One sqlite3 connection for the store's life, as before, used through one SQLAlchemy connection
        # (the driver is in autocommit mode: a read takes no lock; a write transaction is BEGIN IMMEDIATE).
        self.engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool, pool_reset_on_return=None)
        self._sqlite = self.engine.connect()

    @contextmanager
    def _connection(self):
        """The connection of one read or write: SQLite's one connection, or one from PostgreSQL's pool."""
        if self._sqlite is not None:
            yield self._sqlite
        else:
            with self.engine.connect() as conn:
                yield conn

    def _connect(self, timeout_s: float) -> sqlite3.Connection:
        if self.read_only:
            db = _open_read_only(self.path, timeout_s)
        else:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=timeout_s, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        return db

    @property
    def dialect(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    # --- schema ---------------------------------------------------------------------------------

    def _check_owner(self) -> None:
        """Refuse a database some other program filled: adding our tables to it would corrupt its data."""
        if self.postgres:
            return self._check_postgres_owner()
        if self.query("PRAGMA application_id")[0][0] == APPLICATION_ID:
            return
        tables = {row[0] for row in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and not self.read_only:
            return  # a new (or empty) file: ours to set up
        if not tables:
            raise StoreError(f"{self.path} is an empty file, not a verify store: check --db or VERIFY_DB")
        if "schema_migrations" in tables and {"runs", "claims"} <= tables:
            names = {row[0] for row in self.query("SELECT name FROM schema_migrations")}
            if MIGRATIONS[0][0] in names:
                return  # written by a verify from before the marker; migrate() stamps it
        raise StoreError(
            f"{self.path} is an SQLite database that verify did not create (tables: {', '.join(sorted(tables)[:5])}); "
            "it was left untouched: choose another --db or VERIFY_DB"
        )

    def _check_postgres_owner(self) -> None:
        with self._connection() as conn:
            tables = schema.table_names(conn)
        if not tables and self.read_only:
            raise StoreError(f"no store in the database {self.path} yet: check --db or VERIFY_DB "
                             "(`verify run` creates the store)")
        if tables and not ({"alembic_version", "schema_migrations"} & tables and {"runs", "claims"} <= tables):
            raise StoreError(
                f"the database {self.path} holds tables verify did not create ({', '.join(sorted(tables)[:5])}); "
                "it was left untouched: give verify an empty database of its own (createdb verify)")

    def _pending_migrations(self) -> list[str]:
        with self._lock, self._connection() as conn:
            return schema.pending(conn, str(self.path))

    def migrate(self) -> list[str]:
        """Apply the revisions this store lacks (and mark an SQLite file as verify's), in one transaction."""
        with self.transaction() as tx:
            if not self.postgres:
                tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            return schema.upgrade(tx.conn, str(self.path))

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One write transaction; a locked or damaged store becomes a StoreError that says what to do."""
        with self._lock:
            try:
                with self._connection() as conn:
                    try:
                        self._begin(conn)
                        self._tx = Tx(conn)
                        yield self._tx
                        conn.commit()
                    except BaseException:
                        conn.rollback()
                        raise
                    finally:
                        self._tx = None
            except (sqlite3.DatabaseError, sa_exc.DBAPIError) as exc:
                if isinstance(exc, sa_exc.IntegrityError | sqlite3.IntegrityError):
                    raise
                raise StoreError(self._explain(exc)) from exc

    def _begin(self, conn) -> None:
        if not self.postgres:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # writers queue here (busy timeout); readers go on
            return
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(self.timeout_s * 1000))}")
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[Record]:
        """Raw rows, for the store's own methods and for tests; everything else calls a named method.
        Inside a write transaction (same thread) it reads through that transaction, seeing its writes."""
        with self._lock:
            try:
                if self._tx is not None:
                    return self._tx.execute(sql, params).fetchall()
                with self._connection() as conn:
                    return _run(conn, sql, params).fetchall()
            except (sqlite3.DatabaseError, sa_exc.DBAPIError) as exc:
                raise StoreError(self._explain(exc)) from exc

    def _log_rows(self, table: str, run_id: str | None, claim_id: str | None, after: int = 0) -> list[Record]:
        """The rows of an append-only event log (review_events, review_citations) of one claim, or else of
        a whole run, oldest first; with `after`, only the rows written after that id. (Ids follow commit
        order: every write holds the store-wide write lock, on PostgreSQL too.)"""
        column, key = ("claim_id", claim_id) if claim_id is not None else ("run_id", run_id)
        return self.query(f"SELECT * FROM {table} WHERE {column} = ? AND id > ? ORDER BY id", (key, after))

    def close(self) -> None:
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None
            engine = getattr(self, "engine", None)
            if engine is not None:
                engine.dispose()
            if self.db is not None:
                self.db.close()

    def _readable(self, table: str, key: str, rows: list[Record], parse) -> list:
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

    def _explain(self, exc: Exception) -> str:
        orig = getattr(exc, "orig", None) or exc  # the driver's own error, without SQLAlchemy's SQL dump
        if self.postgres:
            return _explain_postgres(orig, self.location, self.path)
        return _explain(orig, self.path)


def _postgres_engine(url: str, timeout_s: float, read_only: bool):
    connect_args: dict[str, Any] = {"connect_timeout": min(30, max(2, int(timeout_s))), "application_name": "verify"}
    if read_only:  # the server itself refuses any write from this store
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), connect_args=connect_args,
                         pool_pre_ping=True)


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


def _explain(exc: Exception, path: Path) -> str:
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


def _explain_postgres(exc: Exception, url: str, shown: str) -> str:
    """One line per way a PostgreSQL store fails, saying what to do (the password is never printed)."""
    text = " ".join(str(exc).split())
    state = getattr(exc, "sqlstate", None)
    parts = make_url(url)
    server = f"{parts.host or 'localhost'}:{parts.port or 5432}"
    if (m := re.search(r'database "([^"]+)" does not exist', text)) or state == "3D000":
        name = m.group(1) if m else parts.database
        return (f"the PostgreSQL database '{name}' does not exist on {server}: create it (createdb {name}) "
                "or fix the database name in VERIFY_DB")
    if state in ("28P01", "28000") or re.search(r"password authentication failed|role \"[^\"]+\" does not exist|"
                                                r"no password supplied|no pg_hba.conf entry", text):
        return (f"PostgreSQL at {server} refused user '{parts.username}' ({_server_says(text)}): "
                "check the user and password in VERIFY_DB (postgresql://user:password@host/db)")
    if re.search(r"Connection refused|could not connect|timeout expired|could not translate host name|"
                 r"Name or service not known|Network is unreachable|No route to host", text):
        return (f"cannot reach the PostgreSQL server at {server} ({_server_says(text)}): start it, "
                "or fix the host and port in VERIFY_DB")
    if state == "55P03" or "lock timeout" in text:
        return (f"the store {shown} is locked by another process ({text}); wait for it or raise VERIFY_DB_TIMEOUT")
    if state == "25006":
        return (f"the store {shown} was opened read-only ({text}); `verify runs`, `show` and `report` can read it, "
                "other commands open it for writing")
    if state in ("53100", "53200"):
        return f"the PostgreSQL server holding the store {shown} is out of space or memory ({text}); free some and run again"
    return f"store {shown}: {text}"


def _server_says(text: str) -> str:
    """The server's own reason, without psycopg's 'connection to server at ... failed:' preamble."""
    reason = text.rsplit("failed:", 1)[-1].split(" Is the server running")[0].strip()  # libpq's hint: said after
    return reason.removeprefix("FATAL:").strip()
