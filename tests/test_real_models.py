"""End to end with the real bundled models: Gemma 3 270M (`local:gemma`, llama.cpp: the fast one; the
offline default Qwen 1.5B runs end to end in tests/test_judge_calibrated.py) and the default embedder
(multilingual USE + English MiniLM).

Slow (about a minute or two): marked `real_models`; `.ci/run` runs them.
"""

from pathlib import Path

import pytest

from tests.conftest import SEED_ARTICLE, SEED_SOURCES
from verify.config import DEFAULT_EMBEDDER, Settings
from verify.documents import load_document
from verify.embed import build_embedder, minilm_path
from verify.backends import build_chat_model
from verify.backends.llamacpp import bundled_gguf_path
from verify.structured import StructuredLLM
from verify.extract import selection_schema
from verify.pipeline import Pipeline
from verify.prompts import load_prompt

pytestmark = pytest.mark.real_models


def short_article(tmp_path) -> str:
    """The seed's first three paragraphs: enough claims to exercise every stage, quick to judge."""
    paragraphs = SEED_ARTICLE.read_text(encoding="utf-8").split("\n\n")[:3]
    path = tmp_path / "short.fr.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return str(path)


def test_bundled_models_verify_the_seed_end_to_end(tmp_path):
    settings = Settings.from_env(model="local:gemma", embedder=DEFAULT_EMBEDDER)
    outcome = Pipeline(settings).run(short_article(tmp_path), [str(SEED_SOURCES)])
    assert outcome.article.language == "fr"
    assert outcome.claims, "the local model selected no claim"
    for claim in outcome.claims:
        assert outcome.article.text[claim.span.start:claim.span.end] == claim.quote
    sources = {p.stem: load_document(str(p)).text for p in Path(SEED_SOURCES).glob("*.md") if p.name != "README.md"}
    assert len(outcome.verdicts) == len(outcome.claims)
    for verdict in outcome.verdicts.values():
        assert verdict.model.startswith("local:gemma-3-270m")
        if verdict.status == "error":
            assert verdict.label is None and (verdict.raw_output or verdict.error)
            continue
        for cite in verdict.citations:
            assert sources[cite.source_id][cite.start:cite.end] == cite.text
    assert outcome.run.summary["demo_grade_model"] is True


def test_a_gguf_path_spec_loads_the_same_weights(tmp_path):
    gguf = bundled_gguf_path(Settings().cache_dir)
    settings = Settings(model=f"local:{gguf}")
    chat, model_id = build_chat_model(settings)
    assert model_id == f"local:{gguf.name}"
    llm = StructuredLLM(chat, model_id, settings)
    schema = selection_schema(["S1", "S2"])
    result = llm.generate(load_prompt("select_claims"), "S1: Paris est en France.\nS2: Il pleut.", schema,
                          purpose="extract")
    assert set(result.value.sentence_ids) <= {"S1", "S2"} and result.usage.completion_tokens > 0


def test_sentence_transformers_loads_from_a_local_folder():
    """The hub-loading embedder path (`sbert:<name or folder>`), exercised with the bundled MiniLM."""
    pytest.importorskip("sentence_transformers")
    embedder = build_embedder(f"sbert:{minilm_path()}")
    vectors = embedder.embed_documents(["Putin met Witkoff in Moscow.", "Poutine a rencontré Witkoff."])
    assert len(vectors) == 2 and len(vectors[0]) == 384


def test_hub_gguf_spec_resolves_through_the_hugging_face_cache(tmp_path, monkeypatch):
    """`local:hf:<owner>/<repo>/<file>` uses huggingface_hub; offline, it must find a cached file.

    The bundled GGUF is laid out as the hub cache would store it, then loaded with HF_HUB_OFFLINE=1:
    the real download code path, served from the cache instead of the network.
    """
    pytest.importorskip("huggingface_hub")
    import os

    gguf = bundled_gguf_path(Settings().cache_dir)
    commit = "0" * 40
    repo = tmp_path / "cache" / "hf" / "models--verify-test--gemma"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    os.symlink(gguf, snapshot / "model.gguf")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(model="local:hf:verify-test/gemma/model.gguf", cache_dir=tmp_path / "cache")
    chat, model_id = build_chat_model(settings)
    assert model_id == "local:hf:verify-test/gemma/model.gguf"
    assert Path(chat.model_path).resolve() == gguf.resolve()


def test_french_seed_claims_find_their_english_evidence(tmp_path):
    """Issue 2's retrieval target, as a regression guard: French claims alone (the local model's
    extractive mode has no English form) against the real seed sources with the default embedder."""
    from verify.evaluation.dataset import load_dataset
    from verify.evaluation.run import build_library, retrieval_metrics, retrieve_all
    from verify.retrieve import Retriever
    from verify.vectorstore import VectorStore

    evalset = load_dataset(Path(SEED_SOURCES).parent / "eval" / "seed_claims.jsonl")
    embedder = build_embedder(DEFAULT_EMBEDDER)
    vstore = VectorStore(tmp_path / "vs", "seed", DEFAULT_EMBEDDER)
    build_library(evalset, vstore, embedder, [str(SEED_SOURCES)])
    items = [c for c in evalset.claims if c.language == "fr"]
    metrics = retrieval_metrics(items, retrieve_all(Retriever(vstore, embedder), items, use_claim_en=False))
    assert metrics["claims_with_gold"] >= 20
    assert metrics["recall@5"] >= 0.9
