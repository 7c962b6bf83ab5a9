"""The two Chroma internals verify relies on (verify/chroma_internals.py), checked against the installed
Chroma: an upgrade that changes either shape fails here, and a library it cannot read falls back clearly."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from verify.chroma_internals import client_cache, collection_version, forget_client
from verify.documents import Document
from verify.embed import HashEmbeddings
from verify.errors import VectorStoreError
from verify.ingest import IngestReport, ingest_documents
from verify.models import SourceMeta, content_hash
from verify.retrieve import Retriever
from verify.vectorstore import VectorStore


def library(folder: Path, texts: dict[str, str]) -> VectorStore:
    vstore = VectorStore(folder, "sources", "hash:64")
    docs = [Document(text=t, meta=SourceMeta(source_id=k, language="en", content_hash=content_hash(t)))
            for k, t in texts.items()]
    ingest_documents(docs, vstore, HashEmbeddings(64), IngestReport())
    return vstore


def cached_folders() -> set[Path]:
    return {Path(key).resolve() for key in client_cache()}


def test_forgetting_a_folder_drops_its_cached_client_and_no_other(tmp_path):
    library(tmp_path / "a", {"a": "Zebras live in Kenya."})
    library(tmp_path / "b", {"b": "Bananas grow in warm places."})
    assert {(tmp_path / "a").resolve(), (tmp_path / "b").resolve()} <= cached_folders()  # one client per folder
    forget_client(tmp_path / "a")
    assert (tmp_path / "a").resolve() not in cached_folders()
    assert (tmp_path / "b").resolve() in cached_folders()


def test_a_chroma_without_that_client_cache_is_refused_with_a_clear_error(tmp_path, monkeypatch):
    from chromadb.api.client import SharedSystemClient

    monkeypatch.delattr(SharedSystemClient, "_identifier_to_system")
    with pytest.raises(VectorStoreError) as caught:
        VectorStore(tmp_path / "vs", "sources", "hash:64")
    message = str(caught.value)
    assert "chromadb" in message and "pip install" in message
    assert "--rebuild" not in message  # the library is not broken: rebuilding it would not help


def test_the_library_version_is_read_from_this_chroma_and_moves_with_every_write(tmp_path):
    vstore = library(tmp_path / "vs", {"a": "Zebras live in Kenya.", "b": "Bananas grow in warm places."})
    first = vstore.version()
    assert first is not None and first[0] == vstore.count() == 2  # None: Chroma's tables changed shape
    vstore = library(tmp_path / "vs", {"a": "Giraffes live in Kenya."})  # replaced by one of the same size
    second = vstore.version()
    assert second is not None and second[0] == 2 and second != first
    vstore.delete_source("b")
    assert vstore.version()[0] == 1


def test_a_chroma_file_of_another_layout_gives_no_version(tmp_path):
    assert collection_version(tmp_path / "missing", "any") is None
    other = tmp_path / "other"
    other.mkdir()
    with closing(sqlite3.connect(other / "chroma.sqlite3")) as db:
        db.execute("CREATE TABLE records (id TEXT, collection TEXT, seq INTEGER)")  # not Chroma's layout
        db.commit()
    assert collection_version(other, "any") is None


def test_a_library_without_a_readable_version_still_retrieves_and_saves_no_index(tmp_path, monkeypatch):
    """Without a version a saved BM25 index could belong to another library state: it is built in
    memory each time instead, and results are the same."""
    vstore = library(tmp_path / "vs", {"a": "Zebras live in Kenya.", "b": "Bananas grow in warm places."})
    monkeypatch.setattr(VectorStore, "version", lambda self: None)
    hits = Retriever(vstore, HashEmbeddings(64), top_k=1).retrieve(["zebras in Kenya"])
    assert hits[0].chunk.source.source_id == "a"
    assert not (tmp_path / "vs" / ".lexical").exists()
