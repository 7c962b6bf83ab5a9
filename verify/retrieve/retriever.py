"""The Retriever: a claim's queries in, its best chunks out, with the scores that ranked them.

Each claim is queried with its original text and its English form. Every (query, embedder part)
pair and every query's BM25 gives one signal (dense.py, lexical.py), fused by z-scores (fusion.py).
An English-only embedder part scores only English queries, so a French claim reaches English
evidence through the multilingual part and through names in BM25, and its English form through all
of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..documents import detect_language
from ..embed import ArrayEmbeddings, Segment
from ..models import Evidence
from ..vectorstore import VectorStore
from .dense import ExactIndex, approximate_signals, by_segment, library_sample
from .fusion import Fusion, best_of, zscore_fusion
from .lexical import LexicalIndex, library_version


@dataclass(frozen=True)
class Query:
    text: str
    language: str | None = None  # None: detected from the text


@dataclass
class Retriever:
    vstore: VectorStore
    embedder: ArrayEmbeddings
    top_k: int = 5
    candidates: int = 50  # best chunks per signal that enter the fusion
    fusion: Fusion = zscore_fusion  # bench/retrieval.py passes reciprocal-rank fusion to compare
    dense_weight: float = 1.0  # per (query, embedder part); a weight of 0 skips those signals
    lexical_weight: float = 0.3  # per query; BM25 z-scores run larger (most chunks score 0)
    exact_max: int = 20_000  # libraries up to this many chunks are searched exactly, in memory
    sample_size: int = 2_000  # larger libraries: score mean and sd estimated on this many chunks
    # Built once per library state (dataclasses.replace hands them to a copy, as bench/retrieval.py does).
    _lexical: LexicalIndex | None = None
    _lexical_version: str = ""
    _exact: ExactIndex | None = None
    _exact_version: str = ""
    _sample: np.ndarray | None = None
    _sample_version: str = ""

    def library_state(self, count: int) -> str:
        """Changes with every add, replace or delete: a source replaced by one of the same size too."""
        return library_version(self.vstore) or f"count:{count}"

    def lexical(self, count: int | None = None, state: str | None = None) -> LexicalIndex:
        count = self.vstore.count() if count is None else count  # counting costs ~10 ms at 100k chunks
        state = state or self.library_state(count)
        if self._lexical is None or state != self._lexical_version:
            self._lexical = LexicalIndex.for_store(self.vstore)
            self._lexical_version = state
        return self._lexical

    def retrieve(self, queries: list[str | Query], top_k: int | None = None) -> list[Evidence]:
        return self.retrieve_many([queries], top_k)[0]

    def retrieve_many(self, query_sets: list[list[str | Query]], top_k: int | None = None) -> list[list[Evidence]]:
        """Batch form: one embedding call for all queries of all claims. The library is then read as
        one state, under its read lock (an ingest in another process waits, and one that finished is
        seen whole): the count, the indexes cached for that state and the chunks fetched all agree.
        Queries are embedded before taking it, so a slow model never holds up an ingest."""
        k = top_k or self.top_k
        sets = [as_queries(qs) for qs in query_sets]
        flat = [q for qs in sets for q in qs]
        if not flat or not self.vstore.count():
            return [[] for _ in sets]
        segments = self.embedder.segments() if self.dense_weight else []
        vectors = by_segment(np.asarray(self.embedder.embed_queries([q.text for q in flat]), dtype=np.float32),
                             segments) if segments else None
        with self.vstore.read_lock():
            count = self.vstore.count()  # again: another process may have written since
            if not count:
                return [[] for _ in sets]
            state = self.library_state(count)
            lexical = self.lexical(count, state) if self.lexical_weight else None
            exact = self._exact_index(state, segments) if count <= self.exact_max else None
            results, cursor = [], 0
            for queries in sets:
                qvecs = vectors[cursor : cursor + len(queries)] if vectors is not None else None
                cursor += len(queries)
                results.append(self._retrieve_one(queries, qvecs, segments, lexical, exact, state, k))
        return results

    def _retrieve_one(self, queries, qvecs, segments, lexical, exact, state, k) -> list[Evidence]:
        bm25 = [lexical.scores(q.text) for q in queries] if lexical else []
        dense_pairs = [(qvecs[n], seg) for n, q in enumerate(queries) if qvecs is not None
                       for seg in active_segments(segments, q)]
        if exact is not None:
            ids, signals = exact.signals(dense_pairs, bm25, lexical, self.candidates)
        else:
            sample = self._library_sample(state, segments) if dense_pairs else None
            ids, signals = approximate_signals(self.vstore, dense_pairs, bm25, lexical, segments, sample,
                                               self.candidates)
        if not ids:
            return []
        fused = self.fusion(signals, len(ids), {"dense": self.dense_weight, "lexical": self.lexical_weight})
        chosen = [int(i) for i in np.argsort(-fused, kind="stable")[:k]]  # candidates are in id order
        best_dense = best_of([s for s in signals if s.kind == "dense"], len(ids))
        best_lex = best_of([s for s in signals if s.kind == "lexical"], len(ids))
        chunks = self.vstore.get_chunks([ids[i] for i in chosen])
        return [
            Evidence(chunk=chunks[ids[i]], rank=rank, fused_score=round(float(fused[i]), 6),
                     dense_score=_round(best_dense[i]), lexical_score=_round(best_lex[i]))
            for rank, i in enumerate(chosen, start=1) if ids[i] in chunks
        ]

    def _exact_index(self, state: str, segments: list[Segment]) -> ExactIndex:
        if self._exact is None or state != self._exact_version:
            self._exact, self._exact_version = ExactIndex.for_store(self.vstore, segments or []), state
        return self._exact

    def _library_sample(self, state: str, segments: list[Segment]) -> np.ndarray:
        if self._sample is None or state != self._sample_version:
            self._sample, self._sample_version = library_sample(self.vstore, segments, self.sample_size), state
        return self._sample


def as_queries(queries: list[str | Query]) -> list[Query]:
    """Strip, drop empties, keep the first of repeated texts (a French claim whose English form is
    itself keeps its French language)."""
    out: dict[str, Query] = {}
    for q in queries:
        q = q if isinstance(q, Query) else Query(q or "")
        text = q.text.strip()
        if text and text not in out:
            out[text] = Query(text, q.language)
    return list(out.values())


def active_segments(segments: list[Segment], query: Query) -> list[Segment]:
    """The embedder parts that can read this query's language (all of them if none can)."""
    if all(seg.languages is None for seg in segments):
        return segments
    language = query.language or detect_language(query.text)
    return [seg for seg in segments if seg.serves(language)] or segments


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
