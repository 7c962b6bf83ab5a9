"""The BM25 index is saved with the vector store and reused only for the same library version."""

import pytest

from verify.embed import build_embedder
from verify.evaluation.dataset import make_document
from verify.ingest import IngestReport, ingest_documents
from verify.retrieve import LexicalIndex, Retriever, library_version
from verify.vectorstore import VectorStore


def library(tmp_path, text: str) -> VectorStore:
    vstore = VectorStore(tmp_path / "vs", "sources", "hash")
    docs = [make_document("a", "Alpha", text, language="en"),
            make_document("b", "Beta", "Bananas grow in warm places.", language="en")]
    ingest_documents(docs, vstore, build_embedder("hash"), IngestReport())
    return vstore


def test_saved_index_is_reused_by_a_new_retriever(tmp_path, monkeypatch):
    vstore = library(tmp_path, "Zebras live in Kenya.")
    first = Retriever(vstore, build_embedder("hash"), lexical_weight=1.0, dense_weight=0.0)
    assert first.retrieve(["zebras"])[0].chunk.source.source_id == "a"
    assert (tmp_path / "vs" / ".lexical" / "sources" / "version.txt").is_file()

    def no_build(*args):
        raise AssertionError("should have loaded the saved index")

    monkeypatch.setattr(LexicalIndex, "build", no_build)
    again = Retriever(vstore, build_embedder("hash"), dense_weight=0.0)
    assert again.retrieve(["zebras"])[0].chunk.source.source_id == "a"


def test_a_changed_source_with_the_same_chunk_count_gets_a_new_index(tmp_path):
    vstore = library(tmp_path, "Zebras live in Kenya.")
    before = library_version(vstore)
    Retriever(vstore, build_embedder("hash"), dense_weight=0.0).retrieve(["zebras"])
    vstore = library(tmp_path, "Giraffes live in Kenya.")  # replaced: same count, new content
    assert library_version(vstore) != before
    hits = Retriever(vstore, build_embedder("hash"), dense_weight=0.0).retrieve(["giraffes"])
    assert hits and hits[0].chunk.source.source_id == "a"
    assert not Retriever(vstore, build_embedder("hash"), dense_weight=0.0).retrieve(["zebras"])


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_weights_of_zero_skip_a_ranking(tmp_path, weight):
    vstore = library(tmp_path, "Zebras live in Kenya.")
    hits = Retriever(vstore, build_embedder("hash"), dense_weight=weight, lexical_weight=1.0).retrieve(["zebras"])
    assert (hits[0].dense_score is None) == (weight == 0.0)
