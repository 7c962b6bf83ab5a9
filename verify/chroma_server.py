"""A Chroma server as the source library (VERIFY_VECTORSTORE=http://host:port), so a team shares one library.

The embedded folder needs verify's library lock and a fresh client whenever another process wrote
(verify/library_lock.py): Chroma's embedded client keeps the vector index in this process's memory.
A server holds the one copy of the index itself and every client reads it through HTTP, so none of
that applies here: ServerLock only orders this process's own threads (two ingests from one process).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from .errors import VectorStoreError

SCHEMES = ("http://", "https://")
DEFAULT_PORT = 8000  # `chroma run`'s own default
SERVER_FORM = "http://host:port (a Chroma server started with `chroma run`)"


def is_server(location: object) -> bool:
    """True for a Chroma server's address; a folder is anything else (a Path, or a string without http(s)://)."""
    return isinstance(location, str) and location.strip().lower().startswith(SCHEMES)


def address(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of a server URL; ValueError naming the form when it is not one."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError as exc:  # a port that is not a number, or out of range
        raise ValueError(f"{url!r} has no valid port: give {SERVER_FORM}") from exc
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not a server address: give {SERVER_FORM}")
    ssl = parts.scheme.lower() == "https"
    return parts.hostname, port or (443 if ssl else DEFAULT_PORT), ssl


def check_url(url: str) -> str:
    """The URL, stripped, if it names a server (for the settings); ValueError otherwise."""
    address(url)
    return url.strip().rstrip("/")


def client(url: str):
    """A Chroma HTTP client for the server; refused with what to do when the server does not answer."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port, ssl = address(url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as exc:  # noqa: BLE001 - chromadb says "Could not connect" as a bare ValueError
        raise unreachable(url, exc) from exc


def unreachable(url: str, exc: BaseException) -> VectorStoreError:
    host, port, _ = address(url)
    return VectorStoreError(
        f"the Chroma server at {url} did not answer ({type(exc).__name__}: {exc}); start it "
        f"(`chroma run --host {host} --port {port} --path FOLDER`) or point VERIFY_VECTORSTORE at a running one")


def failed(url: str, exc: BaseException) -> VectorStoreError:
    """A request the server answered with an error, or a connection lost midway."""
    if is_network(exc):
        return unreachable(url, exc)
    return VectorStoreError(f"the Chroma server at {url} refused the request ({type(exc).__name__}: {exc}); "
                            "see the server's log")


def is_network(exc: BaseException) -> bool:
    """A failure to reach the server (httpx transport errors, or chromadb's own 'Could not connect')."""
    import httpx

    return isinstance(exc, httpx.TransportError) or "could not connect" in str(exc).lower()


class ServerLock:
    """The library lock's interface for a server: reads need no lock (the server serves one state), and
    writes from this process's threads go one at a time. Other processes are not excluded (each request
    is atomic on the server, but two machines ingesting the same changed source at once are not
    coordinated yet): ingest from one place at a time."""

    epoch = 0  # the client never needs replacing: VectorStore._sync never reopens

    def __init__(self) -> None:
        self._writing = threading.RLock()

    @contextmanager
    def shared(self) -> Iterator[None]:
        yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._writing:
            yield

    def reopen(self) -> None:
        """Nothing to reopen: the server's index is never stale."""


_LOCKS: dict[str, ServerLock] = {}
_GUARD = threading.Lock()


def server_lock(url: str) -> ServerLock:
    """The one lock of this process for a server (like library_lock for a folder)."""
    with _GUARD:
        return _LOCKS.setdefault(url.strip().rstrip("/").lower(), ServerLock())
