"""Hybrid retrieval: dense (Chroma) + lexical (BM25 via bm25s), fused by z-scores.

Each claim is queried with its original text and its English form. Every (query, embedder part)
pair and every query's BM25 gives one signal: a score per chunk. Each signal is standardised over
the whole library (z = (score - mean) / sd: how far above the library's typical chunk this one
stands for this query) and the weighted z-scores are summed. Unlike reciprocal-rank fusion this
keeps how *much* better the first chunk is than the tenth, and measured better on every eval set
(README, "Retrieval"). An English-only embedder part scores only English queries, so a French
claim reaches English evidence through the multilingual part and through names in BM25, and its
English form through all of them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .documents import detect_language
from .embed import ArrayEmbeddings, Segment
from .models import Evidence
from .vectorstore import VectorStore

log = logging.getLogger(__name__)

RRF_K = 60  # for fusion="rrf", the alternative bench/retrieval.py compares against
LEXICAL_DIR = ".lexical"  # saved BM25 indexes, inside the vector store folder
TOKENIZER_VERSION = "t1"  # bump when tokenize() changes: saved indexes are then rebuilt
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
    """BM25 over every chunk of the collection, built once per library version and kept on disk
    (building it reads every chunk back from Chroma: about 35 s for 100,000 chunks on 2 cores)."""

    def __init__(self, ids: list[str], model):
        self.ids = ids
        self.model = model
        self._position: dict[str, int] | None = None

    @property
    def position(self) -> dict[str, int]:
        """Chunk id -> row of `scores()`, built once (13 ms per claim at 100,000 chunks otherwise)."""
        if self._position is None:
            self._position = {cid: n for n, cid in enumerate(self.ids)}
        return self._position

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "LexicalIndex":
        import bm25s

        model = bm25s.BM25()
        model.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)  # a token per document
        return cls(ids, model)

    @classmethod
    def for_store(cls, vstore: VectorStore) -> "LexicalIndex":
        """Load the saved index of this exact library version, or build and save it."""
        version = library_version(vstore)
        folder = vstore.path / LEXICAL_DIR / vstore.collection.name
        if version is not None:
            cached = cls.load(folder, version)
            if cached is not None:
                return cached
        index = cls.build(*vstore.all_texts())
        if version is not None and index.ids:
            index.save(folder, version)
        return index

    def save(self, folder: Path, version: str) -> None:
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        try:
            self.model.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            (tmp / "version.txt").write_text(version, encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        except OSError as exc:  # a read-only library still works, it just rebuilds each process
            log.warning("could not save the lexical index in %s: %s", folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, version: str) -> "LexicalIndex | None":
        import bm25s

        try:
            if (folder / "version.txt").read_text(encoding="utf-8") != version:
                return None
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            return cls(ids, bm25s.BM25.load(str(folder), show_progress=False))
        except (OSError, ValueError, KeyError):
            return None

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk (in `ids` order); None when no query word is indexed."""
        tokens = tokenize(query)
        if not tokens or not self.ids:
            return None
        scores = np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        return scores if scores.any() else None


def library_version(vstore: VectorStore) -> str | None:
    """(chunk count, last write sequence number) of the collection, from Chroma's SQLite file.

    Every add, replace or delete changes one of the two, so a saved index is never used for another
    library state. This reads Chroma's internal tables; on any surprise (another Chroma layout) it
    returns None and the index is simply rebuilt in memory, as before.
    """
    db_file = vstore.path / "chroma.sqlite3"
    try:
        with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT count(*), max(e.seq_id) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                "WHERE s.collection = ?", (str(vstore.collection.id),),
            ).fetchone()
    except sqlite3.Error:
        return None
    if not row or not row[0]:
        return None
    seq = int.from_bytes(row[1], "big") if isinstance(row[1], bytes) else row[1]
    return f"{TOKENIZER_VERSION}:{row[0]}:{seq}"


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

    def rows_of(self, lexical: "LexicalIndex") -> tuple[np.ndarray, np.ndarray]:
        """For each BM25 row, this index's row (and which exist), computed once per lexical index."""
        if self._aligned_to is not lexical:
            rows = np.array([self.position.get(cid, -1) for cid in lexical.ids], dtype=np.int64)
            self._alignment, self._aligned_to = (rows, rows >= 0), lexical
        return self._alignment

    @classmethod
    def for_store(cls, vstore: VectorStore, segments: list[Segment]) -> "ExactIndex":
        ids, rows = vstore.all_embeddings()
        return cls(ids, np.asarray(rows, dtype=np.float32).reshape(len(ids), -1), segments)


def by_segment(matrix: np.ndarray, segments: list[Segment]) -> np.ndarray:
    """Normalise each part's columns so that a part's dot product is that model's own cosine."""
    out = np.array(matrix, dtype=np.float32, copy=True)
    for seg in segments:
        block = out[:, seg.start : seg.end]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[:, seg.start : seg.end] = block / np.where(norms == 0, 1.0, norms)
    return out


@dataclass(frozen=True)
class Query:
    text: str
    language: str | None = None  # None: detected from the text


@dataclass
class Signal:
    """One ranking signal over the candidate chunks, with the library-wide mean and sd of its score."""

    kind: str  # "dense" or "lexical"
    scores: np.ndarray  # one per candidate, in candidate order
    mean: float
    sd: float
    top: list[int]  # candidate positions of this signal's own best `candidates`, best first


@dataclass
class Retriever:
    vstore: VectorStore
    embedder: ArrayEmbeddings
    top_k: int = 5
    candidates: int = 50  # best chunks per signal that enter the fusion
    fusion: str = "zscore"  # or "rrf" (reciprocal rank), kept for bench/retrieval.py's comparison
    dense_weight: float = 1.0  # per (query, embedder part); a weight of 0 skips those signals
    lexical_weight: float = 0.3  # per query; BM25 z-scores run larger (most chunks score 0)
    rrf_k: int = RRF_K
    exact_max: int = 20_000  # libraries up to this many chunks are searched exactly, in memory
    sample_size: int = 2_000  # larger libraries: score mean and sd estimated on this many chunks
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
        vectors = by_segment(np.asarray(self.embedder.embed_documents([q.text for q in flat]), dtype=np.float32),
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

    # --- one claim --------------------------------------------------------------------------------

    def _retrieve_one(self, queries, qvecs, segments, lexical, exact, state, k) -> list[Evidence]:
        bm25 = [lexical.scores(q.text) for q in queries] if lexical else []
        dense_pairs = [(qvecs[n], seg) for n, q in enumerate(queries) if qvecs is not None
                       for seg in active_segments(segments, q)]
        if exact is not None:
            ids, signals = self._signals_exact(exact, dense_pairs, bm25, lexical)
        else:
            ids, signals = self._signals_approximate(dense_pairs, bm25, lexical, segments, state)
        if not ids:
            return []
        fused = self._fuse(signals, len(ids))
        chosen = [int(i) for i in np.argsort(-fused, kind="stable")[:k]]  # candidates are in id order
        best_dense = best_of([s for s in signals if s.kind == "dense"], len(ids))
        best_lex = best_of([s for s in signals if s.kind == "lexical"], len(ids))
        chunks = self.vstore.get_chunks([ids[i] for i in chosen])
        return [
            Evidence(chunk=chunks[ids[i]], rank=rank, fused_score=round(float(fused[i]), 6),
                     dense_score=_round(best_dense[i]), lexical_score=_round(best_lex[i]))
            for rank, i in enumerate(chosen, start=1) if ids[i] in chunks
        ]

    def _signals_exact(self, exact: ExactIndex, dense_pairs, bm25, lexical):
        """Whole-library scores: exact means and sds; candidates are each signal's best chunks."""
        full: list[tuple[str, np.ndarray]] = []
        for vec, seg in dense_pairs:
            full.append(("dense", exact.matrix[:, seg.start : seg.end] @ vec[seg.start : seg.end]))
        if bm25:
            rows, known = exact.rows_of(lexical)
            for scores in bm25:
                if scores is not None:
                    aligned = np.zeros(len(exact.ids), dtype=np.float32)
                    aligned[rows[known]] = scores[known]
                    full.append(("lexical", aligned))
        best = [self._best(s, kind) for kind, s in full]
        pool = sorted({int(i) for top in best for i in top})
        index = {p: n for n, p in enumerate(pool)}
        signals = [Signal(kind, s[pool], float(s.mean()), float(s.std()), [index[int(i)] for i in top])
                   for (kind, s), top in zip(full, best)]
        return [exact.ids[p] for p in pool], signals

    def _signals_approximate(self, dense_pairs, bm25, lexical, segments, state):
        """Large libraries: candidates from Chroma's HNSW index and BM25, scored exactly on their
        stored vectors; the dense means and sds come from a fixed sample of the library."""
        found: set[str] = set()
        gated = []
        for vec, seg in dense_pairs:  # the query vector with only this part's columns: that part's cosine
            only = np.zeros_like(vec)
            only[seg.start : seg.end] = vec[seg.start : seg.end]
            gated.append(only.tolist())
        for hits in self.vstore.query(gated, self.candidates) if gated else []:  # one HNSW call per claim
            found.update(cid for cid, _ in hits)
        lex_best = [(s, self._best(s, "lexical")) for s in bm25 if s is not None]
        found.update(lexical.ids[int(i)] for _, best in lex_best for i in best)
        ids = sorted(found)
        if not ids:
            return [], []
        rows = dict(zip(*self.vstore.embeddings(ids)))
        ids = [cid for cid in ids if cid in rows]
        matrix = by_segment(np.asarray([rows[cid] for cid in ids], dtype=np.float32), segments)
        sample = self._library_sample(state, segments) if dense_pairs else None
        signals = []
        for vec, seg in dense_pairs:
            scores = matrix[:, seg.start : seg.end] @ vec[seg.start : seg.end]
            ref = sample[:, seg.start : seg.end] @ vec[seg.start : seg.end]
            signals.append(Signal("dense", scores, float(ref.mean()), float(ref.std()),
                                  [int(i) for i in self._best(scores, "dense")]))
        position = lexical.position if lex_best else {}
        for full, _ in lex_best:
            scores = np.array([full[position[cid]] if cid in position else 0.0 for cid in ids], dtype=np.float32)
            signals.append(Signal("lexical", scores, float(full.mean()), float(full.std()),
                                  [int(i) for i in self._best(scores, "lexical")]))
        return ids, signals

    def _best(self, scores: np.ndarray, kind: str) -> np.ndarray:
        if len(scores) > 4 * self.candidates:  # a full sort of 100,000 scores costs ~8 ms, this ~1 ms
            part = np.argpartition(-scores, self.candidates)[: self.candidates]
            best = part[np.lexsort((part, -scores[part]))]  # best first, index order on ties
        else:
            best = np.argsort(-scores, kind="stable")[: self.candidates]
        return best[scores[best] > 0] if kind == "lexical" else best  # a BM25 score of 0: no shared word

    def _fuse(self, signals: list[Signal], n: int) -> np.ndarray:
        fused = np.zeros(n, dtype=np.float64)
        for sig in signals:
            weight = self.dense_weight if sig.kind == "dense" else self.lexical_weight
            if self.fusion == "rrf":
                for rank, i in enumerate(sig.top, start=1):
                    fused[i] += weight / (self.rrf_k + rank)
            elif sig.sd > 0:
                fused += weight * (sig.scores - sig.mean) / sig.sd
        return fused

    def _exact_index(self, state: str, segments: list[Segment]) -> ExactIndex:
        if self._exact is None or state != self._exact_version:
            self._exact, self._exact_version = ExactIndex.for_store(self.vstore, segments or []), state
        return self._exact

    def _library_sample(self, state: str, segments: list[Segment]) -> np.ndarray:
        """Evenly spaced chunks of the library (the same ones every time for one library state)."""
        if self._sample is None or state != self._sample_version:
            count = self.vstore.count()
            step = max(1, count // self.sample_size)
            rows: list = []
            for offset in range(0, count, step * 100):
                rows.extend(self.vstore.embeddings(offset=offset, limit=100)[1])
            self._sample = by_segment(np.asarray(rows, dtype=np.float32), segments)
            self._sample_version = state
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


def best_of(signals: list[Signal], n: int) -> list[float | None]:
    if not signals:
        return [None] * n
    return np.max(np.vstack([s.scores for s in signals]), axis=0).tolist()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
