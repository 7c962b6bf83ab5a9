"""Ingest reference sources: read, split into passages of whole sentences, embed, store in Chroma.

A source is identified by where it lives (documents.source_location: a file's absolute path, a URL
with its query string), not by its id: the same location with new text is an update, another
location is another source, even with the same file name, and its id gets a suffix. An `id:` in
front matter may only name the source at that same location: one already held by another location
is refused, because the id is what citations and reports point at.

Incremental by content hash: an unchanged source does no embedding work; a changed one has its old
chunks replaced. Every chunk records how many chunks its source was split into, so a source cut
short by an interrupted ingest (killed between Chroma batches) is found and redone the next time.
Every unreadable source is reported by name and the rest goes on. Chunks are written in batches,
under a file lock on the vector store folder: two processes never write Chroma at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .documents import Document, expand_sources, load_document, source_location
from .embed import ArrayEmbeddings
from .errors import InputError
from .models import Chunk, Sentence, SourceMeta, content_hash
from .text import passages
from .vectorstore import StoredSource, VectorStore, index_text


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    redone: list[str] = field(default_factory=list)  # found incomplete (an earlier ingest was interrupted)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (location, id already holding it)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)
    chunks_added: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.replaced)} updated"]
        if self.redone:
            parts.append(f"{len(self.redone)} redone (an earlier ingest was interrupted)")
        parts.append(f"{len(self.unchanged)} unchanged")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates skipped")
        parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + f"; {self.chunks_added} chunks embedded"


def chunk_document(doc: Document, target_chars: int = 700) -> list[Chunk]:
    chunks = []
    for n, group in enumerate(passages(doc.text, doc.meta.language or "en", target_chars=target_chars)):
        start, end = group[0][0], group[-1][1]
        sentences = [Sentence(index=i, text=doc.text[s:e], start=s, end=e) for i, (s, e) in enumerate(group)]
        chunks.append(Chunk(id=f"{doc.meta.source_id}:{n}", source=doc.meta, n=n, text=doc.text[start:end],
                            start=start, end=end, sentences=sentences))
    return chunks


class IdConflict(InputError):
    """A front-matter id already names a source at another location."""


class _Library:
    """What the vector store holds, by id, by location and by content: read once, kept current as
    this ingest writes."""

    def __init__(self, stored: list[StoredSource]):
        self.by_id: dict[str, StoredSource] = {}
        self.by_location: dict[str, StoredSource] = {}
        self.holder_of: dict[str, str] = {}  # content hash -> source id
        for source in stored:
            if not source.location:  # stored before locations were recorded: where its path points now
                source.location = source_location(source.path or source.source_id)
            self.record(source)

    def record(self, source: StoredSource) -> None:
        self.by_id[source.source_id] = source
        self.by_location[source.location] = source
        self.holder_of.setdefault(source.content_hash, source.source_id)

    def forget(self, source: StoredSource) -> None:
        self.by_id.pop(source.source_id, None)
        self.by_location.pop(source.location, None)
        if self.holder_of.get(source.content_hash) == source.source_id:
            del self.holder_of[source.content_hash]

    def free_id(self, wanted: str, location: str) -> str:
        """`wanted` if no source has it, else `wanted-<hash of the location>`: stable across ingests."""
        candidate, n = wanted, 6
        while candidate in self.by_id:
            candidate, n = f"{wanted}-{content_hash(location, n)}", n + 2
        return candidate


class _Writer:
    """Decides add / update / redo / unchanged / duplicate per document and writes chunks to Chroma
    in batches.

    Chroma commits every `add` (tens of milliseconds each), so thousands of small files are embedded
    and stored a few hundred chunks at a time; the library's sources are read once, up front.
    """

    def __init__(self, vstore: VectorStore, embedder: ArrayEmbeddings, report: IngestReport, batch_chunks: int = 512):
        self.vstore, self.embedder, self.report, self.batch_chunks = vstore, embedder, report, batch_chunks
        self.library = _Library(vstore.stored_sources())
        self.seen: dict[str, str] = {}  # location -> source id, this ingest
        self.pending: list[Chunk] = []
        self.extra: dict[str, dict] = {}  # source id -> metadata recorded on each of its chunks

    def add(self, doc: Document) -> None:
        meta, report = doc.meta, self.report
        name = meta.path or meta.source_id
        location = source_location(name)
        if location in self.seen:  # named twice in one ingest
            report.duplicates.append((name, self.seen[location]))
            return
        stored = self.library.by_location.get(location)
        if stored is None and (holder := self.library.holder_of.get(meta.content_hash)):
            report.duplicates.append((name, holder))
            return
        try:
            meta.source_id = self.identity(doc, location, stored)
        except IdConflict as exc:
            report.failed.append((name, str(exc)))
            return
        self.seen[location] = meta.source_id
        outcome = self.outcome(meta.source_id, meta.content_hash, stored)
        if outcome is None:
            report.unchanged.append(meta.source_id)
            return
        chunks = chunk_document(doc)
        if not chunks:
            report.failed.append((name, "no sentences found"))
            return
        outcome.append(meta.source_id)
        self.write(meta, location, chunks, replacing=stored)

    def write(self, meta: SourceMeta, location: str, chunks: list[Chunk], replacing: StoredSource | None) -> None:
        """Queue the chunks, each carrying its source's location and chunk count; a source being
        replaced or redone loses its old chunks first."""
        if replacing is not None:
            self.flush()
            self.vstore.delete_source(replacing.source_id)
            self.library.forget(replacing)
        self.library.record(StoredSource(source_id=meta.source_id, content_hash=meta.content_hash, path=meta.path,
                                         location=location, stored=len(chunks), expected=len(chunks)))
        self.extra[meta.source_id] = {"location": location, "chunks": len(chunks)}
        self.pending.extend(chunks)
        if len(self.pending) >= self.batch_chunks:
            self.flush()

    def identity(self, doc: Document, location: str, stored: StoredSource | None) -> str:
        """The id this document is stored under. A front-matter id is kept as written, unless another
        location holds it (refused: metadata may not take over someone else's source). A derived id
        stays the one the location already has, or becomes free with a suffix."""
        wanted = doc.meta.source_id
        if doc.id_from_metadata:
            owner = self.library.by_id.get(wanted)
            if owner is not None and owner.location != location:
                raise IdConflict(f"{doc.meta.path}: its front matter id '{wanted}' is already the id of "
                                 f"{owner.path or owner.location}; give this file another id or remove the id line")
            return wanted
        return stored.source_id if stored is not None else self.library.free_id(wanted, location)

    def outcome(self, source_id: str, text_hash: str, stored: StoredSource | None) -> list[str] | None:
        """The report list this document belongs in, or None when the library already has it whole."""
        if stored is None:
            return self.report.added
        if stored.source_id != source_id or stored.content_hash != text_hash:
            return self.report.replaced
        return None if stored.complete else self.report.redone

    def flush(self) -> None:
        if not self.pending:
            return
        chunks, self.pending = self.pending, []
        extra, self.extra = self.extra, {}
        vectors = self.embedder.embed_documents([index_text(c.source.title, c.text) for c in chunks])
        self.vstore.add_chunks(chunks, vectors, extra)
        self.report.chunks_added += len(chunks)


def ingest_documents(
    docs: list[Document], vstore: VectorStore, embedder: ArrayEmbeddings, report: IngestReport,
    on_progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Embed and store already-read documents (the eval harness calls this directly)."""
    with vstore.write_lock():
        writer = _Writer(vstore, embedder, report)
        for doc in docs:
            writer.add(doc)
            on_progress(1)
        writer.flush()


def ingest(
    locations: list[str], vstore: VectorStore, embedder: ArrayEmbeddings, *, max_bytes: int = 20_000_000,
    timeout_s: float = 20.0, on_progress: Callable[[int, int, str], None] = lambda done, total, name: None,
) -> IngestReport:
    report = IngestReport()
    files = list(expand_sources(locations))
    with vstore.write_lock():  # one writer per vector store at a time, across processes
        writer = _Writer(vstore, embedder, report)
        for done, location in enumerate(files, start=1):
            on_progress(done - 1, len(files), location)
            try:
                doc = load_document(location, max_bytes=max_bytes, timeout_s=timeout_s)
            except InputError as exc:
                report.failed.append((location, str(exc)))
                continue
            writer.add(doc)
        writer.flush()
    on_progress(len(files), len(files), "")
    return report
