"""Hybrid retrieval: dense (Chroma) + lexical (BM25 via bm25s), fused by reciprocal rank.

Each claim is queried with its original text and its English form, so a French claim can match
English evidence through the multilingual embedder and through shared names in BM25.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .embed import ArrayEmbeddings
from .models import Evidence
from .vectorstore import VectorStore

RRF_K = 60
STOPWORDS = set(
    """a an and are as at be by for from has have he her his in is it its of on or that the their they this
    to was were will with which who not but le la les un une des du de d l et est en au aux que qui dans pour
    par sur ne pas il elle ils elles se sa son ses a été qu s y ce cette ces leur leurs ont avait""".split()
)
WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-case, accent-free words: 'Poutine' and 'poutine', 'Kiev' and 'kiev' meet."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [w for w in WORD.findall(folded) if w not in STOPWORDS and len(w) > 1]


class LexicalIndex:
    """BM25 over every chunk of the collection, built once per process and library version."""

    def __init__(self, ids: list[str], texts: list[str]):
        import bm25s

        self.ids = ids
        self.model = bm25s.BM25()
        corpus = [tokenize(t) or ["\u2205"] for t in texts]  # bm25s needs a token per document
        self.model.index(corpus, show_progress=False)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not tokens or not self.ids:
            return []
        docs, scores = self.model.retrieve([tokens], k=min(n, len(self.ids)), show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


@dataclass
class Retriever:
    vstore: VectorStore
    embedder: ArrayEmbeddings
    top_k: int = 5
    candidates: int = 50
    _lexical: LexicalIndex | None = None
    _lexical_count: int = -1

    def lexical(self) -> LexicalIndex:
        count = self.vstore.count()
        if self._lexical is None or count != self._lexical_count:
            self._lexical = LexicalIndex(*self.vstore.all_texts())
            self._lexical_count = count
        return self._lexical

    def retrieve(self, queries: list[str], top_k: int | None = None) -> list[Evidence]:
        queries = list(dict.fromkeys(q.strip() for q in queries if q and q.strip()))
        if not queries:
            return []
        return self.retrieve_many([queries], top_k)[0]

    def retrieve_many(self, query_sets: list[list[str]], top_k: int | None = None) -> list[list[Evidence]]:
        """Batch form: one embedding call for all queries of all claims."""
        k = top_k or self.top_k
        flat = [q for qs in query_sets for q in qs]
        dense_all = self.vstore.query(self.embedder.embed_documents(flat), self.candidates) if flat else []
        lexical = self.lexical()
        results: list[list[Evidence]] = []
        cursor = 0
        for queries in query_sets:
            dense = dense_all[cursor : cursor + len(queries)]
            cursor += len(queries)
            lex = [lexical.search(q, self.candidates) for q in queries]
            results.append(self._fuse(dense, lex, k))
        return results

    def _fuse(self, dense: list[list[tuple[str, float]]], lexical: list[list[tuple[str, float]]], k: int):
        fused: dict[str, float] = {}
        best_dense: dict[str, float] = {}
        best_lex: dict[str, float] = {}
        for ranking, best in [(r, best_dense) for r in dense] + [(r, best_lex) for r in lexical]:
            for rank, (cid, score) in enumerate(ranking, start=1):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
                best[cid] = max(score, best.get(cid, float("-inf")))
        ordered = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        chunks = self.vstore.get_chunks(ordered)
        return [
            Evidence(chunk=chunks[cid], rank=rank, fused_score=round(fused[cid], 6),
                     dense_score=_round(best_dense.get(cid)), lexical_score=_round(best_lex.get(cid)))
            for rank, cid in enumerate(ordered, start=1) if cid in chunks
        ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
