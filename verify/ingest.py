"""Ingest reference sources: read, split into passages of whole sentences, embed, store in Chroma.

Incremental by content hash: an unchanged source does no embedding work; a changed one has its old
chunks replaced. Every unreadable source is reported by name and the rest goes on.
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


def ingest_documents(
    docs: list[Document], vstore: VectorStore, embedder: ArrayEmbeddings, report: IngestReport,
    on_progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Embed and store already-read documents (the eval harness calls this directly)."""
    for doc in docs:
        meta = doc.meta
        previous = vstore.source_hash(meta.source_id)
        if previous == meta.content_hash:
            report.unchanged.append(meta.source_id)
            on_progress(1)
            continue
        holder = vstore.has_content(meta.content_hash)
        if holder is not None and holder != meta.source_id:
            report.duplicates.append((meta.path or meta.source_id, holder))
            on_progress(1)
            continue
        chunks = chunk_document(doc)
        if not chunks:
            report.failed.append((meta.path or meta.source_id, "no sentences found"))
            on_progress(1)
            continue
        vectors = embedder.embed_documents([index_text(meta.title, c.text) for c in chunks])
        if previous is not None:
            vstore.delete_source(meta.source_id)
            report.replaced.append(meta.source_id)
        else:
            report.added.append(meta.source_id)
        vstore.add_chunks(chunks, vectors)
        report.chunks_added += len(chunks)
        on_progress(1)


def ingest(
    locations: list[str], vstore: VectorStore, embedder: ArrayEmbeddings, *, max_bytes: int = 20_000_000,
    timeout_s: float = 20.0, on_progress: Callable[[int, int, str], None] = lambda done, total, name: None,
) -> IngestReport:
    report = IngestReport()
    files = list(expand_sources(locations))
    seen_ids: dict[str, str] = {}
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
        ingest_documents([doc], vstore, embedder, report)
    on_progress(len(files), len(files), "")
    return report
