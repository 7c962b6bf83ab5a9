"""The two ways candidates and their signals are found: exactly, in memory, for a library up to
`exact_max` chunks; from Chroma's HNSW index plus a fixed sample for the mean and sd above that.

Both return (candidate ids in id order, one Signal per dense (query, embedder part) pair and per BM25
score list), ready for fusion.
"""

from __future__ import annotations

import numpy as np

from ..embed import Segment
from ..vectorstore import VectorStore
from .fusion import Signal, best
from .lexical import LexicalIndex

# One dense signal: a query vector (every part's columns) and the embedder part it is scored with.
DensePair = tuple[np.ndarray, Segment]


def by_segment(matrix: np.ndarray, segments: list[Segment]) -> np.ndarray:
    """Normalise each part's columns so that a part's dot product is that model's own cosine."""
    out = np.array(matrix, dtype=np.float32, copy=True)
    for seg in segments:
        block = out[:, seg.start : seg.end]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[:, seg.start : seg.end] = block / np.where(norms == 0, 1.0, norms)
    return out


class ExactIndex:
    """Every vector of a small library in memory, each embedder part normalised on its own. Exact,
    so a query always gets the same candidates: Chroma's HNSW search is approximate and its top 50
    varied between processes on an 884-chunk library (recall@10 moved by a claim between identical
    eval runs). At this size a matrix product is also faster than an HNSW query."""

    def __init__(self, ids: list[str], matrix: np.ndarray, segments: list[Segment]):
        order = sorted(range(len(ids)), key=ids.__getitem__)  # id order breaks score ties
        self.ids = [ids[i] for i in order]
        self.position = {cid: n for n, cid in enumerate(self.ids)}
        self.matrix = by_segment(matrix[order] if len(ids) else matrix, segments)
        self._aligned_to: LexicalIndex | None = None
        self._alignment: tuple[np.ndarray, np.ndarray] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))

    def rows_of(self, lexical: LexicalIndex) -> tuple[np.ndarray, np.ndarray]:
        """For each BM25 row, this index's row (and which exist), computed once per lexical index."""
        if self._aligned_to is not lexical:
            rows = np.array([self.position.get(cid, -1) for cid in lexical.ids], dtype=np.int64)
            self._alignment, self._aligned_to = (rows, rows >= 0), lexical
        return self._alignment

    @classmethod
    def for_store(cls, vstore: VectorStore, segments: list[Segment]) -> "ExactIndex":
        ids, rows = vstore.all_embeddings()
        return cls(ids, np.asarray(rows, dtype=np.float32).reshape(len(ids), -1), segments)

    def signals(self, dense_pairs: list[DensePair], bm25: list, lexical: LexicalIndex | None, candidates: int):
        """Whole-library scores: exact means and sds; candidates are each signal's best chunks."""
        full: list[tuple[str, np.ndarray]] = []
        for vec, seg in dense_pairs:
            full.append(("dense", self.matrix[:, seg.start : seg.end] @ vec[seg.start : seg.end]))
        if bm25:
            rows, known = self.rows_of(lexical)
            for scores in bm25:
                if scores is not None:
                    aligned = np.zeros(len(self.ids), dtype=np.float32)
                    aligned[rows[known]] = scores[known]
                    full.append(("lexical", aligned))
        tops = [best(s, candidates, kind) for kind, s in full]
        pool = sorted({int(i) for top in tops for i in top})
        index = {p: n for n, p in enumerate(pool)}
        signals = [Signal(kind, s[pool], float(s.mean()), float(s.std()), [index[int(i)] for i in top])
                   for (kind, s), top in zip(full, tops)]
        return [self.ids[p] for p in pool], signals


def approximate_signals(vstore: VectorStore, dense_pairs: list[DensePair], bm25: list, lexical: LexicalIndex | None,
                        segments: list[Segment], sample: np.ndarray | None, candidates: int):
    """Large libraries: candidates from Chroma's HNSW index and BM25, scored exactly on their stored
    vectors; the dense means and sds come from `sample` (library_sample), the BM25 ones are exact."""
    found: set[str] = set()
    gated = []
    for vec, seg in dense_pairs:  # the query vector with only this part's columns: that part's cosine
        only = np.zeros_like(vec)
        only[seg.start : seg.end] = vec[seg.start : seg.end]
        gated.append(only.tolist())
    for hits in vstore.query(gated, candidates) if gated else []:  # one HNSW call per claim
        found.update(cid for cid, _ in hits)
    lex_best = [(s, best(s, candidates, "lexical")) for s in bm25 if s is not None]
    found.update(lexical.ids[int(i)] for _, top in lex_best for i in top)
    ids = sorted(found)
    if not ids:
        return [], []
    rows = dict(zip(*vstore.embeddings(ids)))
    ids = [cid for cid in ids if cid in rows]
    matrix = by_segment(np.asarray([rows[cid] for cid in ids], dtype=np.float32), segments)
    signals = []
    for vec, seg in dense_pairs:
        scores = matrix[:, seg.start : seg.end] @ vec[seg.start : seg.end]
        ref = sample[:, seg.start : seg.end] @ vec[seg.start : seg.end]
        signals.append(Signal("dense", scores, float(ref.mean()), float(ref.std()),
                              [int(i) for i in best(scores, candidates, "dense")]))
    position = lexical.position if lex_best else {}
    for full, _ in lex_best:
        scores = np.array([full[position[cid]] if cid in position else 0.0 for cid in ids], dtype=np.float32)
        signals.append(Signal("lexical", scores, float(full.mean()), float(full.std()),
                              [int(i) for i in best(scores, candidates, "lexical")]))
    return ids, signals


def library_sample(vstore: VectorStore, segments: list[Segment], size: int) -> np.ndarray:
    """About `size` chunks, in runs of 100 spread evenly over the library (the same ones every time
    for one library state)."""
    count = vstore.count()
    step = max(1, count // size)
    rows: list = []
    for offset in range(0, count, step * 100):
        rows.extend(vstore.embeddings(offset=offset, limit=100)[1])
    return by_segment(np.asarray(rows, dtype=np.float32), segments)
