"""Ingest reference sources: read, split into passages of whole sentences, embed, store in Chroma.

Incremental by content hash: an unchanged source does no embedding work; a changed one has its old
chunks replaced. Every unreadable source is reported by name and the rest goes on. Chunks are written
in batches, under a file lock on the vector store folder: two processes never write Chroma at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .documents import Document, expand_sources, load_document
from .embed import ArrayEmbeddings
from .errors import InputError
from .models import Chunk, Sentence
from .text import passages
from .vectorstore import VectorStore, index_text


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (location, id already holding it)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)
    chunks_added: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.replaced)} updated", f"{len(self.unchanged)} unchanged"]
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


class _Writer:
    """Decides add / replace / unchanged / duplicate per document and writes chunks to Chroma in batches.

    Chroma commits every `add` (tens of milliseconds each), so thousands of small files are embedded
    and stored a few hundred chunks at a time; the library's hashes are read once, up front.
    """

    def __init__(self, vstore: VectorStore, embedder: ArrayEmbeddings, report: IngestReport, batch_chunks: int = 512):
        self.vstore, self.embedder, self.report, self.batch_chunks = vstore, embedder, report, batch_chunks
        self.hash_of, self.holder_of = vstore.content_index()
        self.pending: list[Chunk] = []

    def add(self, doc: Document) -> None:
        meta, report = doc.meta, self.report
        previous = self.hash_of.get(meta.source_id)
        if previous == meta.content_hash:
            report.unchanged.append(meta.source_id)
            return
        holder = self.holder_of.get(meta.content_hash)
        if holder is not None and holder != meta.source_id:
            report.duplicates.append((meta.path or meta.source_id, holder))
            return
        chunks = chunk_document(doc)
        if not chunks:
            report.failed.append((meta.path or meta.source_id, "no sentences found"))
            return
        if previous is not None:
            self.flush()
            self.vstore.delete_source(meta.source_id)
            report.replaced.append(meta.source_id)
        else:
            report.added.append(meta.source_id)
        self.hash_of[meta.source_id] = meta.content_hash
        self.holder_of.setdefault(meta.content_hash, meta.source_id)
        self.pending.extend(chunks)
        if len(self.pending) >= self.batch_chunks:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        chunks, self.pending = self.pending, []
        vectors = self.embedder.embed_documents([index_text(c.source.title, c.text) for c in chunks])
        self.vstore.add_chunks(chunks, vectors)
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
    seen_ids: dict[str, str] = {}
    with vstore.write_lock():  # one writer per vector store at a time, across processes
        writer = _Writer(vstore, embedder, report)
        for done, location in enumerate(files, start=1):
            on_progress(done - 1, len(files), location)
            try:
                doc = load_document(location, max_bytes=max_bytes, timeout_s=timeout_s)
            except InputError as exc:
                report.failed.append((location, str(exc)))
                continue
            if doc.meta.source_id in seen_ids:  # two files with one stem: keep both, apart
                doc.meta.source_id = f"{doc.meta.source_id}-{doc.meta.content_hash[:6]}"
            seen_ids[doc.meta.source_id] = location
            writer.add(doc)
        writer.flush()
    on_progress(len(files), len(files), "")
    return report
