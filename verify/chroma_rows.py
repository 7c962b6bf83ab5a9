"""A chunk as Chroma stores it: its document text and the metadata written on it, and back."""

from __future__ import annotations

import json

from .models import Chunk, Sentence, SourceMeta

META_FIELDS = ("source_id", "title", "url", "publisher", "published", "language", "path", "content_hash")


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
