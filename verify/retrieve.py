"""Hybrid retrieval: dense (Chroma) + lexical (BM25 via bm25s), fused by reciprocal rank.

Each claim is queried with its original text and its English form, so a French claim can match
English evidence through the multilingual embedder and through shared names in BM25.
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

from .embed import ArrayEmbeddings
from .models import Evidence
from .vectorstore import VectorStore

log = logging.getLogger(__name__)

RRF_K = 60
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

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not tokens or not self.ids:
            return []
        docs, scores = self.model.retrieve([tokens], k=min(n, len(self.ids)), show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


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
    """Brute-force cosine over every vector of a small library. Exact, so a query always gets the
    same candidates: Chroma's HNSW search is approximate and its top 50 varied between processes on
    an 884-chunk library (recall@10 moved by a claim between identical eval runs). At this size a
    matrix product is also faster than an HNSW query."""

    def __init__(self, ids: list[str], matrix: np.ndarray):
        order = sorted(range(len(ids)), key=ids.__getitem__)  # id order breaks score ties
        self.ids = [ids[i] for i in order]
        self.matrix = matrix[order] if len(ids) else matrix

    @classmethod
    def for_store(cls, vstore: VectorStore) -> "ExactIndex":
        ids: list[str] = []
        rows: list = []
        for offset in range(0, vstore.count(), 5000):
            got = vstore.collection.get(limit=5000, offset=offset, include=["embeddings"])
            ids.extend(got["ids"])
            rows.extend(got["embeddings"])
        return cls(ids, np.asarray(rows, dtype=np.float32).reshape(len(ids), -1))

    def search(self, vectors: list[list[float]], n: int) -> list[list[tuple[str, float]]]:
        if not self.ids:
            return [[] for _ in vectors]
        scores = np.asarray(vectors, dtype=np.float32) @ self.matrix.T
        out = []
        for row in scores:
            best = np.argsort(-row, kind="stable")[:n]
            out.append([(self.ids[i], float(row[i])) for i in best])
        return out


@dataclass
class Retriever:
    vstore: VectorStore
    embedder: ArrayEmbeddings
    top_k: int = 5
    candidates: int = 50  # per query and per ranking, before fusion
    rrf_k: int = RRF_K
    dense_weight: float = 1.0  # a weight of 0 skips that ranking entirely
    lexical_weight: float = 1.0
    exact_max: int = 20_000  # libraries up to this many chunks are searched exactly, in memory
    _lexical: LexicalIndex | None = None
    _lexical_version: str = ""
    _exact: ExactIndex | None = None
    _exact_version: str = ""

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

    def retrieve(self, queries: list[str], top_k: int | None = None) -> list[Evidence]:
        queries = list(dict.fromkeys(q.strip() for q in queries if q and q.strip()))
        if not queries:
            return []
        return self.retrieve_many([queries], top_k)[0]

    def retrieve_many(self, query_sets: list[list[str]], top_k: int | None = None) -> list[list[Evidence]]:
        """Batch form: one embedding call for all queries of all claims."""
        k = top_k or self.top_k
        flat = [q for qs in query_sets for q in qs]
        count = self.vstore.count()
        state = self.library_state(count)
        dense_all = self._dense(flat, count, state)
        lexical = self.lexical(count, state) if self.lexical_weight else None
        results: list[list[Evidence]] = []
        cursor = 0
        for queries in query_sets:
            dense = dense_all[cursor : cursor + len(queries)]
            cursor += len(queries)
            lex = [lexical.search(q, self.candidates) for q in queries] if lexical else []
            results.append(self._fuse(dense, lex, k))
        return results

    def _dense(self, queries: list[str], count: int, state: str) -> list[list[tuple[str, float]]]:
        if not queries or not self.dense_weight:
            return [[] for _ in queries]
        vectors = self.embedder.embed_documents(queries)
        if count > self.exact_max:
            return self.vstore.query(vectors, self.candidates)
        if self._exact is None or state != self._exact_version:
            self._exact, self._exact_version = ExactIndex.for_store(self.vstore), state
        return self._exact.search(vectors, self.candidates)

    def _fuse(self, dense: list[list[tuple[str, float]]], lexical: list[list[tuple[str, float]]], k: int):
        fused: dict[str, float] = {}
        best_dense: dict[str, float] = {}
        best_lex: dict[str, float] = {}
        weighted = [(r, best_dense, self.dense_weight) for r in dense]
        weighted += [(r, best_lex, self.lexical_weight) for r in lexical]
        for ranking, best, weight in weighted:
            for rank, (cid, score) in enumerate(ranking, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (self.rrf_k + rank)
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
