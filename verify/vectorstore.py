"""The persistent Chroma collection of source chunks.
Over 300 lines: one class over one collection (folder or server); its lock, errors, rows and Chroma internals are already split out.

We always hand Chroma our own vectors (its built-in default embedder downloads a model and fails
offline). The embedder spec is written into the collection metadata when it is created; opening
the collection with another embedder is refused, because its vectors would be meaningless.
"""

from __future__ import annotations

import functools
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from . import chroma_internals, chroma_server
from .chroma_errors import chroma_errors, disk_full, disk_full_error, open_error
from .chroma_rows import chunk_from, chunk_metadata, index_text, source_from
from .errors import EmbedderMismatch
from .library_lock import LOCK_FILE, library_lock
from .models import Chunk, SourceMeta, Strict

CHROMA_BATCH = 1000  # chunks per Chroma `add` (Chroma caps one call); each call commits on its own


class StoredSource(Strict):
    """One source as the library holds it, read back from its chunks' metadata."""

    source_id: str
    content_hash: str
    path: str  # the location as it was given to ingest
    location: str = ""  # documents.source_location at ingest; "" on chunks stored before it was recorded
    stored: int = 0  # chunks found in the library
    expected: int | None = None  # chunks it was split into; None on chunks stored before it was recorded

    @property
    def complete(self) -> bool:
        """False when an ingest stopped between batches and some of its chunks never arrived."""
        return self.expected is None or self.stored >= self.expected


def _reading(method):
    """Run a read method under the shared lock, on a current collection. `Error finding id` is tried
    once more on a reopened client: a program that writes the library without verify's lock (so
    without leaving a token) leaves this process's vector index stale in the same way."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from chromadb.errors import InternalError

        with self.read_lock():
            try:
                return method(self, *args, **kwargs)
            except InternalError as exc:
                if "Error finding id" not in str(exc):
                    raise
                self._lock.reopen()
                self._sync()
                return method(self, *args, **kwargs)

    return wrapper


class VectorStore:
    def __init__(self, path: Path | str, collection: str, embedder_spec: str):
        # A folder (embedded Chroma, under verify's library lock) or a Chroma server's http(s)://host:port.
        self.server = chroma_server.is_server(path)
        self.path = chroma_server.check_url(path) if self.server else Path(path)
        self.embedder_spec = embedder_spec
        self._lock = chroma_server.server_lock(self.path) if self.server else library_lock(self.path)
        try:
            with self._lock.shared():  # opening reads; creating the collection is a write
                if not self.server and not (self.path / "chroma.sqlite3").exists():  # new, or deleted meanwhile
                    self._lock.reopen()
                self._open(collection, create=False)
            if self.collection is None:
                # Creating is a write: it leaves a token, so another process that also found no collection
                # reopens its client under this lock and sees this one instead of creating it twice.
                with self._lock.exclusive():
                    self._open(collection, create=True)
        except Exception as exc:  # noqa: BLE001 - chroma raises many internal types on a broken folder
            raise open_error(self.path, exc) from exc
        stored = (self.collection.metadata or {}).get("embedder")
        if stored != embedder_spec:
            raise EmbedderMismatch(
                f"the collection '{collection}' in {self.path} was built with embedder '{stored}', "
                f"not '{embedder_spec}'. Use --embedder {stored}, choose another --collection, "
                "or rebuild it with `verify ingest --rebuild --embedder ...`"
            )

    def _open(self, name: str, create: bool) -> None:
        self.client = _client(self.path)
        self._epoch = self._lock.epoch
        if create:
            self.collection = self.client.get_or_create_collection(
                name=name, metadata={"embedder": self.embedder_spec, "hnsw:space": "cosine"}, embedding_function=None)
            return
        from chromadb.errors import NotFoundError

        try:
            self.collection = self.client.get_collection(name, embedding_function=None)
        except NotFoundError:
            self.collection = None

    moved_aside: Path | None = None  # where rebuild() put a broken folder's files

    @classmethod
    def rebuild(cls, path: Path | str, collection: str, embedder_spec: str) -> "VectorStore":
        """Drop the collection and start empty. A folder Chroma cannot open is moved aside whole (to
        `<folder>.broken-<time>`, beside it), never deleted: it may hold the only copy of a library.
        A full disk is not a broken folder: it is reported and nothing is touched. On a server only the
        collection is dropped: the server's own files are its administrator's."""
        if chroma_server.is_server(path):
            return cls._rebuild_on_server(path, collection, embedder_spec)
        path = Path(path)
        moved = None
        with library_lock(path).exclusive():  # no other process reads or writes the library meanwhile
            try:
                client = _client(path)
                if collection in [c.name for c in client.list_collections()]:
                    client.delete_collection(collection)
            except Exception as exc:  # noqa: BLE001 - chroma raises many internal types on a broken folder
                if disk_full(exc):
                    raise disk_full_error(path, exc) from exc
                moved = _move_aside(path)
            library_lock(path).reopen()  # every VectorStore of this process on the folder opens it afresh
            store = cls(path, collection, embedder_spec)
        store.moved_aside = moved
        return store

    @classmethod
    def _rebuild_on_server(cls, url: str, collection: str, embedder_spec: str) -> "VectorStore":
        try:
            client = _client(url)
            if collection in [c.name for c in client.list_collections()]:
                client.delete_collection(collection)
        except Exception as exc:  # noqa: BLE001 - one clear error, whatever the client raised
            raise open_error(url, exc) from exc
        return cls(url, collection, embedder_spec)

    # --- writing --------------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Sole right to write this vector store, across processes and threads (see LibraryLock);
        reentrant, and reading inside it is allowed."""
        with self._lock.exclusive():
            self._sync()
            yield

    @contextmanager
    def read_lock(self) -> Iterator[None]:
        """Read this vector store as one state: no process writes it meanwhile (see LibraryLock).
        Hold it around reads that must agree with each other, e.g. a count and the chunks counted."""
        with self._lock.shared():
            self._sync()
            yield

    def _sync(self) -> None:
        """Reopen the collection when this process's Chroma client was replaced (another process wrote)."""
        if self._epoch != self._lock.epoch:
            self.client = _client(self.path)
            self.collection = self.client.get_collection(self.collection.name, embedding_function=None)
            self._epoch = self._lock.epoch

    @chroma_errors
    @_reading
    def stored_sources(self) -> list[StoredSource]:
        """Every source in the library with its hash, location and how many of its chunks are stored:
        read once, paged, before an ingest decides what to add, update, redo or skip."""
        found: dict[str, StoredSource] = {}
        for got in paged_get(self.collection, self.count(), ["metadatas"]):
            for meta in got["metadatas"]:
                source = found.get(meta["source_id"])
                if source is None:
                    source = found[meta["source_id"]] = StoredSource(
                        source_id=meta["source_id"], content_hash=meta["content_hash"], path=meta.get("path", ""),
                        location=meta.get("location", ""), expected=meta.get("chunks"))
                source.stored += 1
        return list(found.values())

    @chroma_errors
    def delete_source(self, source_id: str) -> None:
        self.collection.delete(where={"source_id": source_id})

    @chroma_errors
    def add_chunks(self, chunks: list[Chunk], embeddings: list[list[float]],
                   extra: Mapping[str, dict] | None = None) -> None:
        """Store chunks in batches; `extra` adds metadata per source id (ingest records each source's
        location and chunk count on every chunk, so a source cut short by a crash is recognised)."""
        extra = extra or {}
        for start in range(0, len(chunks), CHROMA_BATCH):
            part = chunks[start : start + CHROMA_BATCH]
            self.collection.add(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, extra.get(c.source.source_id)) for c in part],
                embeddings=embeddings[start : start + CHROMA_BATCH],
            )

    # --- reading --------------------------------------------------------------------------------------

    @chroma_errors
    @_reading
    def count(self) -> int:
        return self.collection.count()

    def version(self) -> tuple[int, int] | None:
        """Changes with every add, replace or delete (a source replaced by one of the same size too), so
        an index saved for one version is never used for another; None when it cannot be read (always on a
        server: Chroma has no public write counter, so indexes built from it are rebuilt, never saved)."""
        if self.server:
            return None
        return chroma_internals.collection_version(self.path, self.collection.id)

    @chroma_errors
    @_reading
    def query(self, embeddings: list[list[float]], n: int) -> list[list[tuple[str, float]]]:
        """For each query vector, (chunk id, cosine similarity) best first."""
        count = self.count()  # ~7 ms at 100,000 chunks: once per call
        if count == 0:
            return [[] for _ in embeddings]
        res = self.collection.query(query_embeddings=embeddings, n_results=min(n, count),
                                    include=["distances"])
        return [[(cid, 1.0 - dist) for cid, dist in zip(ids, dists)]
                for ids, dists in zip(res["ids"], res["distances"])]

    @chroma_errors
    @_reading
    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {cid: chunk_from(cid, doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}

    @chroma_errors
    @_reading
    def source_chunks(self, source_id: str) -> list[Chunk]:
        """Every stored chunk of one source, in source order: the whole source as the library holds it."""
        got = self.collection.get(where={"source_id": source_id}, include=["documents", "metadatas"])
        chunks = [chunk_from(cid, doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(chunks, key=lambda c: c.n)

    @chroma_errors
    @_reading
    def embeddings(self, ids: list[str] | None = None, offset: int = 0, limit: int | None = None,
                   ) -> tuple[list[str], list]:
        """(ids, vectors) of the given chunks, or of a page of the library."""
        got = self.collection.get(ids=ids, offset=None if ids else offset, limit=None if ids else limit,
                                  include=["embeddings"])
        return got["ids"], list(got["embeddings"])

    @chroma_errors
    @_reading
    def all_embeddings(self) -> tuple[list[str], list]:
        """(ids, vectors) of every chunk, paged: the exact (in-memory) vector index is built from these."""
        ids: list[str] = []
        vectors: list = []
        for got in paged_get(self.collection, self.count(), ["embeddings"]):
            ids.extend(got["ids"])
            vectors.extend(got["embeddings"])
        return ids, vectors

    @chroma_errors
    @_reading
    def all_texts(self) -> tuple[list[str], list[str]]:
        """(ids, index texts) of every chunk, paged: the lexical index is built from these."""
        ids: list[str] = []
        texts: list[str] = []
        for got in paged_get(self.collection, self.count(), ["documents", "metadatas"]):
            ids.extend(got["ids"])
            texts.extend(index_text(m.get("title", ""), d) for d, m in zip(got["documents"], got["metadatas"]))
        return ids, texts

    @chroma_errors
    @_reading
    def sources(self) -> list[SourceMeta]:
        seen: dict[str, SourceMeta] = {}
        for got in paged_get(self.collection, self.count(), ["metadatas"]):
            for meta in got["metadatas"]:
                seen.setdefault(meta["source_id"], source_from(meta))
        return sorted(seen.values(), key=lambda s: s.source_id)


def _move_aside(path: Path) -> Path | None:
    """Move the folder's contents (not its README, .gitignore or lock) into a sibling folder: a
    rename on the same disk, so it works even when the disk is nearly full."""
    children = [c for c in (path.iterdir() if path.exists() else []) if c.name not in {"README.md", ".gitignore", LOCK_FILE}]
    if not children:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while aside.exists():  # two rebuilds within a second
        n += 1
        aside = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    aside.mkdir()
    for child in children:
        child.rename(aside / child.name)
    return aside


def _client(path: Path | str):
    """One settings object for every client: chroma refuses a second client on a path with other settings."""
    if chroma_server.is_server(path):
        return chroma_server.client(path)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


PAGE_ROWS = 5000  # rows per Chroma `get` when reading the whole library


def paged_get(collection, total: int, include: list[str], page: int = PAGE_ROWS) -> Iterator[dict]:
    """Every row of `collection` (`total` of them), `page` rows per Chroma `get`: one unpaged get of a
    large library builds every row in memory at once, and SQLite caps the variables of one query.
    The one paging loop: the library readers above and the retriever's exact index use it."""
    for offset in range(0, total, page):
        yield collection.get(limit=page, offset=offset, include=include)
