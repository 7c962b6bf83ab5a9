"""The store's schema: Alembic's history in alembic/versions/, applied on open inside verify's own write
transaction (no alembic.ini: the history ships in the package).

A store made before Alembic records its history by name in `schema_migrations` (the revision ids are
those names): it is stamped at its last applied revision, then upgraded. `schema_migrations` is still
kept up to date, so an older verify opening a newer store refuses it ("written by a newer verify").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from ..errors import StoreError
from ..models import utcnow

HISTORY = Path(__file__).parent / "alembic"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HISTORY))
    config.attributes["connection"] = connection
    return config


@cache
def revisions() -> tuple[str, ...]:
    """Every revision id, oldest first (read once per process)."""
    script = ScriptDirectory.from_config(_config())
    return tuple(reversed([rev.revision for rev in script.walk_revisions()]))


def table_names(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return {row[0] for row in conn.execute(text(sql))}


def applied(conn: Connection, tables: set[str], where: str) -> list[str]:
    """The revisions this store has, oldest first; a revision this verify does not know (in either
    record) is refused."""
    named = set()
    if "schema_migrations" in tables:  # every store has it; those from before Alembic have only it
        named = {row[0] for row in conn.execute(text("SELECT name FROM schema_migrations"))}
        _refuse_newer(named, where)
    if "alembic_version" in tables:
        done = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
        _refuse_newer(set(done), where)
        last = max(revisions().index(name) for name in done) if done else -1
        return list(revisions()[:last + 1])
    return [name for name in revisions() if name in named]


def pending(conn: Connection, where: str) -> list[str]:
    have = set(applied(conn, table_names(conn), where))
    return [name for name in revisions() if name not in have]


def upgrade(conn: Connection, where: str) -> list[str]:
    """Bring the store to the newest revision, inside the caller's transaction; the revisions applied."""
    tables = table_names(conn)
    have = applied(conn, tables, where)
    todo = [name for name in revisions() if name not in have]
    if not todo:
        return []
    config = _config(conn)
    if have and "alembic_version" not in tables:
        command.stamp(config, have[-1])  # an older verify's store: its history so far, as Alembic records it
    command.upgrade(config, "head")
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"))
    for name in todo:
        conn.execute(text("INSERT INTO schema_migrations (name, applied_at) VALUES (:name, :at) ON CONFLICT DO NOTHING"),
                     {"name": name, "at": utcnow()})
    return todo


def _refuse_newer(done: set[str], where: str) -> None:
    unknown = done - set(revisions())
    if unknown:
        raise StoreError(f"{where} was written by a newer verify (migrations {sorted(unknown)}); upgrade verify")
