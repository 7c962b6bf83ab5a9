"""The persistent Chroma collection of source chunks.

We always hand Chroma our own vectors (its built-in default embedder downloads a model and fails
offline). The embedder spec is written into the collection metadata when it is created; opening
the collection with another embedder is refused, because its vectors would be meaningless.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from .errors import EmbedderMismatch, VectorStoreError
from .models import Chunk, Sentence, SourceMeta, Strict

LOCK_FILE = ".write.lock"
_LOCK_GUARD = threading.Lock()
_HELD: dict[str, list] = {}  # resolved path -> [thread lock, depth, fd]

META_FIELDS = ("source_id", "title", "url", "publisher", "published", "language", "path", "content_hash")
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


def _chroma_errors(method):
    """A Chroma failure while reading or writing (e.g. a corrupted index file) becomes a clear error."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from chromadb.errors import ChromaError

        try:
            return method(self, *args, **kwargs)
        except ChromaError as exc:
            if disk_full(exc):
                raise disk_full_error(self.path, exc) from exc
            raise VectorStoreError(
                f"the vector store at {self.path} failed ({type(exc).__name__}: {exc}); it may be corrupted: "
                f"rebuild it with `verify ingest --rebuild SOURCES...` {REBUILD_KEEPS}"
            ) from exc

    return wrapper


# What a rebuild does with a broken folder: said wherever a rebuild is advised.
REBUILD_KEEPS = "(the broken files are moved aside, not deleted)"
_DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")


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


class VectorStore:
    def __init__(self, path: Path | str, collection: str, embedder_spec: str):
        self.path = Path(path)
        self.embedder_spec = embedder_spec
        if not (self.path / "chroma.sqlite3").exists():  # new, or deleted while this process ran
            _forget_client(self.path)
        try:
            self.client = _client(self.path)
            self.collection = self.client.get_or_create_collection(
                name=collection,
                metadata={"embedder": embedder_spec, "hnsw:space": "cosine"},
                embedding_function=None,
            )
        except Exception as exc:  # noqa: BLE001 - chroma raises many internal types on a broken folder
            if disk_full(exc):
                raise disk_full_error(self.path, exc) from exc
            raise VectorStoreError(
                f"the vector store at {self.path} could not be opened ({type(exc).__name__}: {exc}); "
                f"rebuild it with `verify ingest --rebuild SOURCES...` {REBUILD_KEEPS}"
            ) from exc
        stored = (self.collection.metadata or {}).get("embedder")
        if stored != embedder_spec:
            raise EmbedderMismatch(
                f"the collection '{collection}' in {self.path} was built with embedder '{stored}', "
                f"not '{embedder_spec}'. Use --embedder {stored}, choose another --collection, "
                "or rebuild it with `verify ingest --rebuild --embedder ...`"
            )

    moved_aside: Path | None = None  # where rebuild() put a broken folder's files

    @classmethod
    def rebuild(cls, path: Path | str, collection: str, embedder_spec: str) -> "VectorStore":
        """Drop the collection and start empty. A folder Chroma cannot open is moved aside whole (to
        `<folder>.broken-<time>`, beside it), never deleted: it may hold the only copy of a library.
        A full disk is not a broken folder: it is reported and nothing is touched."""
        path = Path(path)
        moved = None
        try:
            client = _client(path)
            if collection in [c.name for c in client.list_collections()]:
                client.delete_collection(collection)
        except Exception as exc:  # noqa: BLE001 - chroma raises many internal types on a broken folder
            if disk_full(exc):
                raise disk_full_error(path, exc) from exc
            moved = _move_aside(path)
            _forget_client(path)
        store = cls(path, collection, embedder_spec)
        store.moved_aside = moved
        return store

    # --- writing --------------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive right to write this vector store: a file lock between processes (Chroma's
        persistent client is not safe with two writing processes), reentrant within a process."""
        key = str(self.path.resolve())
        with _LOCK_GUARD:
            held = _HELD.setdefault(key, [threading.RLock(), 0, None])
        with held[0]:
            if held[1] == 0:
                self.path.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
                held[2] = fd
            held[1] += 1
            try:
                yield
            finally:
                held[1] -= 1
                if held[1] == 0:
                    fcntl.flock(held[2], fcntl.LOCK_UN)
                    os.close(held[2])
                    held[2] = None

    @_chroma_errors
    def stored_sources(self) -> list[StoredSource]:
        """Every source in the library with its hash, location and how many of its chunks are stored:
        read once, paged, before an ingest decides what to add, update, redo or skip."""
        found: dict[str, StoredSource] = {}
        total = self.count()
        for offset in range(0, total, 5000):
            got = self.collection.get(limit=5000, offset=offset, include=["metadatas"])
            for meta in got["metadatas"]:
                source = found.get(meta["source_id"])
                if source is None:
                    source = found[meta["source_id"]] = StoredSource(
                        source_id=meta["source_id"], content_hash=meta["content_hash"], path=meta.get("path", ""),
                        location=meta.get("location", ""), expected=meta.get("chunks"))
                source.stored += 1
        return list(found.values())

    @_chroma_errors
    def source_hash(self, source_id: str) -> str | None:
        got = self.collection.get(where={"source_id": source_id}, limit=1, include=["metadatas"])
        return got["metadatas"][0]["content_hash"] if got["ids"] else None

    @_chroma_errors
    def has_content(self, content_hash: str) -> str | None:
        """The source id already holding this exact text, if any (duplicate detection)."""
        got = self.collection.get(where={"content_hash": content_hash}, limit=1, include=["metadatas"])
        return got["metadatas"][0]["source_id"] if got["ids"] else None

    @_chroma_errors
    def delete_source(self, source_id: str) -> None:
        self.collection.delete(where={"source_id": source_id})

    @_chroma_errors
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

    @_chroma_errors
    def count(self) -> int:
        return self.collection.count()

    @_chroma_errors
    def query(self, embeddings: list[list[float]], n: int) -> list[list[tuple[str, float]]]:
        """For each query vector, (chunk id, cosine similarity) best first."""
        count = self.count()  # ~7 ms at 100,000 chunks: once per call
        if count == 0:
            return [[] for _ in embeddings]
        res = self.collection.query(query_embeddings=embeddings, n_results=min(n, count),
                                    include=["distances"])
        return [[(cid, 1.0 - dist) for cid, dist in zip(ids, dists)]
                for ids, dists in zip(res["ids"], res["distances"])]

    @_chroma_errors
    def get_chunks(self, ids: list[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {cid: chunk_from(cid, doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}

    @_chroma_errors
    def all_texts(self) -> tuple[list[str], list[str]]:
        """(ids, index texts) of every chunk, paged: the lexical index is built from these."""
        ids: list[str] = []
        texts: list[str] = []
        total = self.count()
        for offset in range(0, total, 5000):
            got = self.collection.get(limit=5000, offset=offset, include=["documents", "metadatas"])
            ids.extend(got["ids"])
            texts.extend(index_text(m.get("title", ""), d) for d, m in zip(got["documents"], got["metadatas"]))
        return ids, texts

    @_chroma_errors
    def sources(self) -> list[SourceMeta]:
        seen: dict[str, SourceMeta] = {}
        total = self.count()
        for offset in range(0, total, 5000):
            got = self.collection.get(limit=5000, offset=offset, include=["metadatas"])
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


def _client(path: Path):
    """One settings object for every client: chroma refuses a second client on a path with other settings."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def _forget_client(path: Path) -> None:
    """Chroma keeps one client per path for the life of the process, with the collection in memory:
    after the folder is deleted or replaced it would go on serving (and writing) the old data."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)


def index_text(title: str, text: str) -> str:
    """What is embedded and indexed: the source title gives a bare sentence its subject."""
    return f"{title}\n{text}" if title else text


def chunk_metadata(chunk: Chunk, extra: dict | None = None) -> dict:
    meta = {name: getattr(chunk.source, name) for name in META_FIELDS} | (extra or {})
    meta.update(
        tags=json.dumps(chunk.source.tags), n=chunk.n, start=chunk.start, end=chunk.end,
        sentences=json.dumps([[s.start, s.end] for s in chunk.sentences]),
    )
    return meta


def source_from(meta: dict) -> SourceMeta:
    return SourceMeta(**{name: meta.get(name, "") for name in META_FIELDS}, tags=json.loads(meta.get("tags", "[]")))


def chunk_from(chunk_id: str, text: str, meta: dict) -> Chunk:
    base = meta["start"]
    sentences = [
        Sentence(index=i, text=text[s - base : e - base], start=s, end=e)
        for i, (s, e) in enumerate(json.loads(meta["sentences"]))
    ]
    return Chunk(id=chunk_id, source=source_from(meta), n=meta["n"], text=text, start=meta["start"],
                 end=meta["end"], sentences=sentences)
