"""Hybrid retrieval: dense (Chroma) + lexical (BM25 via bm25s), fused by z-scores.

retriever.py  the Retriever: queries in, ranked evidence out; language gating of embedder parts
lexical.py    BM25 index: tokenizer, build, save and load beside the library for its exact version
dense.py      exact in-memory vector index (small libraries) and the HNSW candidate path (large ones)
fusion.py     signals and their z-score fusion
"""

from .fusion import Fusion, Signal, zscore_fusion
from .lexical import LexicalIndex, library_version, tokenize
from .retriever import Query, Retriever, active_segments, as_queries

__all__ = ["Fusion", "LexicalIndex", "Query", "Retriever", "Signal", "active_segments", "as_queries",
           "library_version", "tokenize", "zscore_fusion"]
