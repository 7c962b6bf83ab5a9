"""The only two places verify relies on Chroma's internals, each because no public API does the job.

tests/faults/test_chroma_internals.py checks both against the installed Chroma, so an upgrade that
changes either shape fails there, not in a user's run.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from .errors import VectorStoreError


def client_cache() -> dict:
    """Chroma's process-wide cache of one client system per folder (path -> System).

    Private because Chroma offers no public way to drop one folder's client: a cached client keeps
    the collection's vector index in memory and never sees another process's writes, and the
    public ways out do not fit (`SharedSystemClient.clear_system_cache()` drops every folder's client,
    `Client.close()` stops the system other VectorStores of this process still read through)."""
    from chromadb.api.client import SharedSystemClient

    cache = getattr(SharedSystemClient, "_identifier_to_system", None)
    if not isinstance(cache, dict):
        import chromadb

        raise VectorStoreError(
            f"chromadb {chromadb.__version__} no longer keeps its clients where verify looks for them, so verify "
            "could not see other processes' writes to the library; install chromadb 1.5 (pip install 'chromadb~=1.5')"
        )
    return cache


def forget_client(path: Path | str) -> None:
    """Drop this process's cached Chroma client for the folder: the next PersistentClient opens it afresh."""
    cache = client_cache()
    target = Path(path).resolve()
    for key in [k for k in cache if Path(k).resolve() == target]:
        cache.pop(key, None)


def collection_version(path: Path, collection_id: str) -> tuple[int, int] | None:
    """(chunk count, last write sequence number) of a collection, read from Chroma's own SQLite file.

    Private because Chroma has no public write counter, and its count alone misses a source replaced by
    one of the same size. Every add, replace or delete changes one of the two. On any surprise (no
    file, another table layout) None: callers then rebuild what they would have loaded from disk."""
    db_file = path / "chroma.sqlite3"
    try:
        with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT count(*), max(e.seq_id) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                "WHERE s.collection = ?", (str(collection_id),),
            ).fetchone()
    except sqlite3.Error:
        return None
    if not row or not row[0]:
        return None
    seq = int.from_bytes(row[1], "big") if isinstance(row[1], bytes) else row[1]
    return row[0], seq
