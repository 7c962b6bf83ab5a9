"""Where a store lives: an SQLite file (a path, or sqlite:///path) or a PostgreSQL database
(postgresql://user:password@host:port/name). Light on purpose: settings and the CLI use it without
loading SQLAlchemy."""

from __future__ import annotations

import re
from pathlib import Path

POSTGRES_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")
STORE_FORMS = "a file path, sqlite:///path/to/verify.db or postgresql://user:password@host:5432/database"


def is_postgres(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def parse(value: Path | str) -> Path | str:
    """A path for SQLite, or the PostgreSQL URL as given (a Path would fold its "//").
    Raises ValueError for any other URL (a typo in the scheme must not become a file named 'mysql:')."""
    if isinstance(value, Path):
        return value
    text = str(value).strip()
    if is_postgres(text):
        return text
    if text.startswith("sqlite:///"):
        return Path(text.removeprefix("sqlite:///") or "verify.db")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise ValueError(f"not a store verify can use: give {STORE_FORMS}")
    return Path(text)


def shown(location: Path | str) -> str:
    """The location as printed in messages: a PostgreSQL URL without its password."""
    if not is_postgres(location):
        return str(location)
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(location))


def resolved(location: Path | str) -> Path | str:
    """An absolute path for a file (a child process may start elsewhere); a URL unchanged."""
    return location if is_postgres(location) else Path(location).resolve()


def check_exists(location: Path | str) -> None:
    """A StoreError saying what to do when there is no store at `location`: commands that write to an
    existing store (re-judging, review data, the dashboard) never create one from a typo."""
    from ..errors import StoreError

    if is_postgres(location):  # a server answers: reachable, database there, verify's tables in it
        from .connection import Connection

        Connection(location, read_only=True).close()
    elif not Path(location).is_file():
        raise StoreError(f"no store at {location}: check --db or VERIFY_DB (`verify run` creates the store)")


def exists(location: Path | str) -> bool:
    from ..errors import StoreError

    try:
        check_exists(location)
    except StoreError:
        return False
    return True
