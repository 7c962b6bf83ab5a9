"""Chroma failures as one clear error each: a full disk (never advise a rebuild), a folder that cannot
be opened, a read or write that failed (advise a rebuild, which keeps the broken files)."""

from __future__ import annotations

import errno
import functools
from pathlib import Path

from . import chroma_server
from .errors import VectorStoreError

# What a rebuild does with a broken folder: said wherever a rebuild is advised.
REBUILD_KEEPS = "(the broken files are moved aside, not deleted)"
_DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")


def chroma_errors(method):
    """A Chroma failure while reading or writing (e.g. a corrupted index file) becomes a clear error.
    For methods of an object with a `path` (the vector store folder, or a server's URL when `server`)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from chromadb.errors import ChromaError

        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - sorted below; anything else is re-raised as it is
            if getattr(self, "server", False) and (isinstance(exc, ChromaError) or chroma_server.is_network(exc)):
                raise chroma_server.failed(self.path, exc) from exc  # a server is never rebuilt for this
            if not isinstance(exc, ChromaError):
                raise
            if disk_full(exc):
                raise disk_full_error(self.path, exc) from exc
            raise VectorStoreError(
                f"the vector store at {self.path} failed ({type(exc).__name__}: {exc}); it may be corrupted: "
                f"rebuild it with `verify ingest --rebuild SOURCES...` {REBUILD_KEEPS}"
            ) from exc

    return wrapper


def open_error(path: Path, exc: BaseException) -> VectorStoreError:
    """Chroma could not open the folder: a full disk, or a broken library to rebuild (a server: what it said)."""
    if chroma_server.is_server(path):
        return exc if isinstance(exc, VectorStoreError) else chroma_server.failed(str(path), exc)
    if disk_full(exc):
        return disk_full_error(path, exc)
    return VectorStoreError(
        f"the vector store at {path} could not be opened ({type(exc).__name__}: {exc}); "
        f"rebuild it with `verify ingest --rebuild SOURCES...` {REBUILD_KEEPS}"
    )


def disk_full(exc: BaseException) -> bool:
    """True when the failure (or anything that caused it) is a full disk: ENOSPC, or SQLite's
    "database or disk is full" as Chroma reports it from its own SQLite file."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(text in str(exc).lower() for text in _DISK_FULL_TEXT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_error(path: Path, exc: BaseException) -> VectorStoreError:
    # Never advise --rebuild here: the library is not broken, and rebuilding needs more space, not less.
    return VectorStoreError(
        f"the disk holding the vector store at {path} is full ({type(exc).__name__}: {exc}); free some space "
        "and run again. Nothing was deleted: do not rebuild the library for this"
    )
