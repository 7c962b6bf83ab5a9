"""Evaluation metrics: verdict classification, retrieval recall@k, citations, cost.

Failed verdicts are a column of their own ("FAILED"): they count against accuracy and recall and are
never dropped from the denominator. Everything here is plain numpy on small lists, so each number
can be checked by hand (see tests/eval/test_metrics.py).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..config import load_prices

FAILED = "FAILED"

# --- Verdicts --------------------------------------------------------------------------------------


def to_two_way(label: str | None) -> str | None:
    """REFUTED vs NOT_REFUTED: SUPPORTED and NOT_ENOUGH_INFO both mean 'not refuted'."""
    if label is None:
        return None
    return "REFUTED" if label == "REFUTED" else "NOT_REFUTED"


def confusion(gold: Sequence[str], pred: Sequence[str | None], labels: Sequence[str]) -> np.ndarray:
    """Rows = gold labels, columns = predicted labels then FAILED (prediction None)."""
    columns = list(labels) + [FAILED]
    matrix = np.zeros((len(labels), len(columns)), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        matrix[list(labels).index(g), columns.index(p if p is not None else FAILED)] += 1
    return matrix


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def classification(gold: Sequence[str], pred: Sequence[str | None], labels: Sequence[str]) -> dict:
    matrix = confusion(gold, pred, labels)
    n = len(labels)
    tp = np.diag(matrix[:, :n])
    support = matrix.sum(axis=1)
    predicted = matrix[:, :n].sum(axis=0)
    per_label = {}
    for i, label in enumerate(labels):
        p, r = _ratio(tp[i], predicted[i]), _ratio(tp[i], support[i])
        per_label[label] = {"precision": p, "recall": r, "f1": _ratio(2 * p * r, p + r), "support": int(support[i])}
    present = [lab for lab in labels if per_label[lab]["support"]]
    return {
        "n": int(matrix.sum()),
        "accuracy": _ratio(tp.sum(), matrix.sum()),
        # mean recall over the labels that occur in the gold data (chance level = 1 / #labels)
        "balanced_accuracy": float(np.mean([per_label[lab]["recall"] for lab in present])) if present else 0.0,
        "macro_f1": float(np.mean([per_label[lab]["f1"] for lab in labels])),
        "failed": int(matrix[:, n].sum()),
        "per_label": per_label,
        "confusion": {"labels": list(labels), "columns": list(labels) + [FAILED], "matrix": matrix.tolist()},
    }


# --- Retrieval -------------------------------------------------------------------------------------


def recall_at(first_ranks: Sequence[Sequence[int | None]], k: int) -> float:
    """Share of claims with at least one gold item in the top k (FEVER-style evidence recall).

    `first_ranks[c][g]` is the 1-based rank of the first retrieved chunk that holds gold item g of
    claim c (None if not retrieved). In these sets each gold item settles the claim on its own, so a
    claim is recalled once any of them is retrieved; this is also how the baselines in
    ../shared/eval/README.md are computed. Claims without gold items are left out by the caller.
    """
    if not first_ranks:
        return 0.0
    return float(np.mean([any(r is not None and r <= k for r in ranks) for ranks in first_ranks]))


def item_recall_at(first_ranks: Sequence[Sequence[int | None]], k: int) -> float:
    """Stricter: mean over claims of the share of their gold items found in the top k."""
    if not first_ranks:
        return 0.0
    return float(np.mean([sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for ranks in first_ranks]))


def retrieval(first_ranks: Sequence[Sequence[int | None]], ks: Sequence[int] = (1, 5, 10)) -> dict:
    out: dict = {"claims_with_gold": len(first_ranks)}
    for k in ks:
        out[f"recall@{k}"] = recall_at(first_ranks, k)
    for k in ks:
        out[f"item_recall@{k}"] = item_recall_at(first_ranks, k)
    return out


# --- Citations, time, cost -------------------------------------------------------------------------


def citations(cited: int, gold_cited: int, valid: int, cited_with_gold: int) -> dict:
    """Precision over the citations of claims that have gold evidence; validity over all citations."""
    return {
        "citations": cited,
        "citation_precision": _ratio(gold_cited, cited_with_gold),
        "citation_validity": _ratio(valid, cited) if cited else 1.0,
    }


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def estimated_cost(model_id: str, prompt_tokens: int, completion_tokens: int,
                   prices: dict[str, tuple[float, float]] | None = None) -> float | None:
    """USD for the tokens at the model's list price; None for a model not in the table (e.g. local)."""
    prices = prices if prices is not None else load_prices()
    name = model_id.split(":", 1)[1] if model_id.startswith("openai:") else model_id.split("@", 1)[0]
    if name not in prices:
        return None
    price_in, price_out = prices[name]
    return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000
