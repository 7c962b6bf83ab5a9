from verify.documents import Document
from verify.embed import HashEmbeddings
from verify.ingest import IngestReport, ingest_documents
from verify.models import SourceMeta, content_hash
from verify.retrieve import RRF_K, Retriever, tokenize
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


def test_fusion_scores_are_reciprocal_ranks(tmp_path):
    top = retriever(tmp_path, top_k=1).retrieve(["Leavitt Trump spoken Putin"])[0]
    assert top.chunk.source.source_id == "leavitt"
    # first in both the dense and the BM25 ranking: 2 / (k + 1)
    assert abs(top.fused_score - 2 / (RRF_K + 1)) < 1e-6
    assert top.dense_score is not None and top.lexical_score is not None


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
