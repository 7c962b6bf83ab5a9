"""Fusion of ranking signals by z-scores.

Each signal (one query against one embedder part, or one query's BM25) scores the candidate chunks.
It is standardised over the whole library (z = (score - mean) / sd: how far above the library's
typical chunk this one stands for this query) and the weighted z-scores are summed. Unlike
reciprocal-rank fusion (kept in bench/retrieval.py for comparison) this keeps how *much* better the
first chunk is than the tenth, and measured better on every eval set (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np


@dataclass
class Signal:
    """One ranking signal over the candidate chunks, with the library-wide mean and sd of its score."""

    kind: str  # "dense" or "lexical"
    scores: np.ndarray  # one per candidate, in candidate order
    mean: float
    sd: float
    top: list[int]  # candidate positions of this signal's own best candidates, best first


# (signals, number of candidates, weight per signal kind) -> one fused score per candidate
Fusion = Callable[[list[Signal], int, Mapping[str, float]], np.ndarray]


def zscore_fusion(signals: list[Signal], n: int, weights: Mapping[str, float]) -> np.ndarray:
    fused = np.zeros(n, dtype=np.float64)
    for sig in signals:
        if sig.sd > 0:
            fused += weights[sig.kind] * (sig.scores - sig.mean) / sig.sd
    return fused


def best(scores: np.ndarray, n: int, kind: str) -> np.ndarray:
    """Positions of the `n` best scores, best first, index order on ties; a BM25 score of 0 (no shared
    word) never counts."""
    if len(scores) > 4 * n:  # a full sort of 100,000 scores costs ~8 ms, this ~1 ms
        part = np.argpartition(-scores, n)[:n]
        top = part[np.lexsort((part, -scores[part]))]
    else:
        top = np.argsort(-scores, kind="stable")[:n]
    return top[scores[top] > 0] if kind == "lexical" else top


def best_of(signals: list[Signal], n: int) -> list[float | None]:
    """Per candidate, its best raw score among these signals (what the evidence shows as its score)."""
    if not signals:
        return [None] * n
    return np.max(np.vstack([s.scores for s in signals]), axis=0).tolist()
