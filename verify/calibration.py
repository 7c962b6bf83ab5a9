"""A tiny fitted model that turns stance features into calibrated label probabilities.

Multinomial logistic regression in numpy, fitted by gradient descent with an L2 penalty (a few
dozen claims, a handful of features: nothing bigger is warranted). Training examples may carry a
*set* of allowed labels: a claim gold-labelled NOT_REFUTED (daccord) is SUPPORTED or
NOT_ENOUGH_INFO, and its loss is -log(P(SUPPORTED) + P(NOT_ENOUGH_INFO)) ("partial labels"), so
binary and three-way sets calibrate one model.

Also the metrics the benchmark reports: AUC, balanced accuracy, expected calibration error.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
# Gold labels that mean "one of these": NOT_REFUTED is daccord's "compatible".
ALLOWED = {"SUPPORTED": {"SUPPORTED"}, "REFUTED": {"REFUTED"}, "NOT_ENOUGH_INFO": {"NOT_ENOUGH_INFO"},
           "NOT_REFUTED": {"SUPPORTED", "NOT_ENOUGH_INFO"}}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Calibrator(BaseModel):
    """P(label | features) = softmax(W @ standardised(features) + b)."""

    feature_names: list[str]
    labels: list[str] = list(LABELS)
    mean: list[float]
    scale: list[float]
    weights: list[list[float]]   # one row per label, one column per feature
    bias: list[float]
    abstain_below: float = 0.5   # top probability under this -> NOT_ENOUGH_INFO
    fitted_on: str = ""          # the named split, for the record

    def proba(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        z = ((x - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights).T + np.array(self.bias)
        return softmax(z)


def allowed_mask(gold: list[str], labels=LABELS) -> np.ndarray:
    return np.array([[lab in ALLOWED[g] for lab in labels] for g in gold], dtype=float)


def fit(x: np.ndarray, gold: list[str], feature_names: list[str], l2: float = 0.05,
        steps: int = 3000, lr: float = 0.5, fitted_on: str = "", abstain_below: float = 0.5) -> Calibrator:
    """Maximise sum log P(allowed labels) - l2 * |W|^2 by full-batch gradient descent."""
    x = np.asarray(x, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    xs = (x - mean) / scale
    mask = allowed_mask(gold)
    n, k = len(xs), len(LABELS)
    w, b = np.zeros((k, xs.shape[1])), np.zeros(k)
    for _ in range(steps):
        p = softmax(xs @ w.T + b)
        q = p * mask
        q /= q.sum(axis=1, keepdims=True)
        grad_z = (p - q) / n            # d(-mean log sum_allowed p)/dz
        w -= lr * (grad_z.T @ xs + 2 * l2 * w)
        b -= lr * grad_z.sum(axis=0)
    return Calibrator(feature_names=feature_names, mean=mean.tolist(), scale=scale.tolist(),
                      weights=w.tolist(), bias=b.tolist(), fitted_on=fitted_on, abstain_below=abstain_below)


def decide(p: np.ndarray, abstain_below: float) -> tuple[str, bool]:
    """The most probable label, or NOT_ENOUGH_INFO (abstained=True) when it is not probable enough."""
    top = int(np.argmax(p))
    if LABELS[top] != "NOT_ENOUGH_INFO" and p[top] < abstain_below:
        return "NOT_ENOUGH_INFO", True
    return LABELS[top], False


# --- Metrics ------------------------------------------------------------------------------------


def auc(scores, positives) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(positives, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def balanced_accuracy(gold: list[str], predicted: list[str]) -> float:
    """Mean recall over the gold labels present (NOT_REFUTED counts SUPPORTED and NEI as right)."""
    recalls = []
    for g in sorted(set(gold)):
        idx = [i for i, x in enumerate(gold) if x == g]
        recalls.append(sum(predicted[i] == g or predicted[i] in ALLOWED[g] for i in idx) / len(idx))
    return float(np.mean(recalls))


def ece(confidence, correct, bins: int = 10) -> float:
    """Expected calibration error: |accuracy - confidence| per equal-width bin, weighted by size."""
    c, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (c > lo) & (c <= hi) if lo > 0 else (c >= lo) & (c <= hi)
        if inside.any():
            total += inside.sum() / len(c) * abs(ok[inside].mean() - c[inside].mean())
    return float(total)
