from verify.documents import Document
from verify.embed import HashEmbeddings
from verify.ingest import IngestReport, ingest_documents
from verify.models import SourceMeta, content_hash
import numpy as np
import pytest

from verify.embed import ConcatEmbeddings
from verify.retrieve import LexicalIndex, Query, Retriever, active_segments, tokenize
from verify.vectorstore import VectorStore

DOCS = {
    "moscow": "Steve Witkoff met Vladimir Putin in Moscow on Thursday evening.",
    "kursk": "Ukraine's General Staff said there was no threat of encirclement in Kursk.",
    "ecb": "The European Central Bank cut interest rates by a quarter point.",
    "leavitt": "Karoline Leavitt said Trump had not yet spoken to Putin.",
}


def retriever(tmp_path, top_k=2):
    vs = VectorStore(tmp_path / "vs", "sources", "hash:256")
    docs = [Document(text=t, meta=SourceMeta(source_id=k, title="", content_hash=content_hash(t)))
            for k, t in DOCS.items()]
    ingest_documents(docs, vs, HashEmbeddings(256), IngestReport())
    return Retriever(vs, HashEmbeddings(256), top_k=top_k)


def test_best_matching_passage_ranks_first(tmp_path):
    evidence = retriever(tmp_path).retrieve(["Did Witkoff meet Putin in Moscow?"])
    assert evidence[0].chunk.source.source_id == "moscow"
    assert [e.rank for e in evidence] == [1, 2]


def test_english_form_rescues_a_french_query(tmp_path):
    r = retriever(tmp_path, top_k=1)
    french_only = r.retrieve(["La BCE a baissé ses taux"])
    both = r.retrieve(["La BCE a baissé ses taux", "The European Central Bank cut interest rates"])
    assert both[0].chunk.source.source_id == "ecb"
    assert french_only[0].fused_score < both[0].fused_score


def test_fused_score_is_the_weighted_sum_of_library_z_scores(tmp_path):
    r = retriever(tmp_path, top_k=1)
    query = "Leavitt Trump spoken Putin"
    top = r.retrieve([query])[0]
    assert top.chunk.source.source_id == "leavitt"
    # by hand: cosine of the query with every chunk, and BM25 of every chunk, each standardised
    texts = {k: v for k, v in DOCS.items()}
    q = np.asarray(HashEmbeddings(256).embed_query(query))
    cos = {k: float(np.asarray(HashEmbeddings(256).embed_query(t)) @ q) for k, t in texts.items()}
    bm25 = LexicalIndex.build(list(texts), list(texts.values())).scores(query)
    bm = dict(zip(texts, bm25))
    dense = np.array(list(cos.values()))
    lex = np.array(list(bm.values()))
    expected = ((cos["leavitt"] - dense.mean()) / dense.std()
                + r.lexical_weight * (bm["leavitt"] - lex.mean()) / lex.std())
    assert top.fused_score == pytest.approx(expected, abs=1e-4)
    assert top.dense_score == pytest.approx(cos["leavitt"], abs=1e-4)
    assert top.lexical_score == pytest.approx(bm["leavitt"], abs=1e-4)


@pytest.mark.parametrize("path", ["exact", "approximate"])
def test_z_scores_are_standardised_over_the_whole_library_not_the_candidates(tmp_path, path):
    """With fewer candidates than chunks the mean and sd still come from every chunk of the library:
    over the candidates alone (the few best, bunched at the top) the winner would barely stand out."""
    texts = {**DOCS, **{f"note-{i}": f"Weather note {i}: light rain over the harbour, markets calm, day {i}."
                        for i in range(20)}}
    vs = VectorStore(tmp_path / "vs", "sources", "hash:256")
    ingest_documents([Document(text=t, meta=SourceMeta(source_id=k, title="", content_hash=content_hash(t)))
                      for k, t in texts.items()], vs, HashEmbeddings(256), IngestReport())
    r = Retriever(vs, HashEmbeddings(256), top_k=1, candidates=3)
    if path == "approximate":
        r.exact_max = 0  # Chroma's HNSW candidates; the dense mean and sd from the sample (here every chunk)
    query = "Leavitt Trump spoken Putin"
    top = r.retrieve([query])[0]
    q = np.asarray(HashEmbeddings(256).embed_query(query))
    dense = np.array([float(np.asarray(HashEmbeddings(256).embed_query(t)) @ q) for t in texts.values()])
    lex = np.asarray(LexicalIndex.build(list(texts), list(texts.values())).scores(query))
    at = list(texts).index("leavitt")
    expected = (dense[at] - dense.mean()) / dense.std() + r.lexical_weight * (lex[at] - lex.mean()) / lex.std()
    assert top.chunk.source.source_id == "leavitt"
    assert top.fused_score == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_large_library_path_ranks_like_the_exact_one(tmp_path, language):
    """Above exact_max, candidates come from Chroma's HNSW index and the means from a sample:
    on a small library (the sample is the whole library) both paths must agree, also when only
    one part of a two-model embedder serves the query's language."""
    r = library_with(tmp_path, "concat", ConcatEmbeddings([HashEmbeddings(64), EnglishOnly(32)]))
    r.lexical_weight = 0.3
    queries = [Query(q, language) for q in ["Did Witkoff meet Putin in Moscow?", "encirclement Kursk", "interest rates"]]
    exact = [[(e.chunk.id, round(e.fused_score, 3)) for e in r.retrieve([q])] for q in queries]
    r.exact_max = 0
    approximate = [[(e.chunk.id, round(e.fused_score, 3)) for e in r.retrieve([q])] for q in queries]
    assert approximate == exact and all(exact)


class EnglishOnly(HashEmbeddings):
    languages = frozenset({"en"})


def test_an_english_only_part_scores_only_english_queries():
    embedder = ConcatEmbeddings([HashEmbeddings(64), EnglishOnly(32)])
    any_language, english = embedder.segments()
    assert (any_language.start, any_language.end, english.start, english.end) == (0, 64, 64, 96)
    assert active_segments(embedder.segments(), Query("Poutine a rencontré Witkoff", "fr")) == [any_language]
    assert active_segments(embedder.segments(), Query("Putin met Witkoff", "en")) == [any_language, english]
    # no language given: detected from the text
    assert active_segments(embedder.segments(), Query("Le porte-parole du Kremlin a déclaré que la réunion "
                                                      "avait eu lieu jeudi soir à Moscou.")) == [any_language]


def library_with(tmp_path, name, embedder):
    vs = VectorStore(tmp_path / name, "sources", name)
    docs = [Document(text=t, meta=SourceMeta(source_id=k, title="", content_hash=content_hash(t)))
            for k, t in DOCS.items()]
    ingest_documents(docs, vs, embedder, IngestReport())
    return Retriever(vs, embedder, top_k=4, lexical_weight=0.0)


def test_a_french_claim_is_scored_by_the_multilingual_part_alone(tmp_path):
    both = library_with(tmp_path, "concat", ConcatEmbeddings([HashEmbeddings(64), EnglishOnly(32)]))
    alone = library_with(tmp_path, "alone", HashEmbeddings(64))

    def scores(r, query):
        return [(e.chunk.source.source_id, round(e.fused_score, 4), round(e.dense_score, 4)) for e in r.retrieve([query])]

    french = Query("Witkoff a rencontré Poutine à Moscou jeudi", "fr")
    assert scores(both, french) == scores(alone, french)
    english = Query("Witkoff met Putin in Moscow on Thursday", "en")
    assert scores(both, english) != scores(alone, english)  # the English part adds its own signal
def test_tokenize_folds_case_and_accents():
    assert tokenize("Kiev a DÉCLARÉ l'encerclement") == ["kiev", "declare", "encerclement"]


def test_a_replaced_source_of_the_same_size_is_searched_afresh(tmp_path):
    r = retriever(tmp_path, top_k=1)
    assert r.retrieve(["European Central Bank interest rates"])[0].chunk.source.source_id == "ecb"
    new = "Lagarde announced a heatwave alert for Queensland."
    doc = Document(text=new, meta=SourceMeta(source_id="ecb", title="", content_hash=content_hash(new)))
    ingest_documents([doc], r.vstore, HashEmbeddings(256), IngestReport())
    top = r.retrieve(["heatwave alert Queensland"])[0]
    assert top.chunk.source.source_id == "ecb" and top.chunk.text == new
    assert top.lexical_score and top.lexical_score > 0  # found by its new words, not by a stale index
    assert top.dense_score > 0.5


def test_torch_threads_one_for_queries_all_cores_for_batches(monkeypatch):
    import os

    from verify.embed import torch_threads

    monkeypatch.delenv("VERIFY_EMBED_THREADS", raising=False)
    assert torch_threads(2) == 1
    assert torch_threads(64) == max(1, os.cpu_count() or 1)
    monkeypatch.setenv("VERIFY_EMBED_THREADS", "3")
    assert torch_threads(2) == torch_threads(64) == 3
