"""A tiny fitted model that turns stance features into calibrated label probabilities.

Multinomial logistic regression in numpy, fitted by gradient descent with an L2 penalty (a few
dozen claims, a handful of features: nothing bigger is warranted). Training examples may carry a
*set* of allowed labels: a claim gold-labelled NOT_REFUTED (daccord) is SUPPORTED or
NOT_ENOUGH_INFO, and its loss is -log(P(SUPPORTED) + P(NOT_ENOUGH_INFO)) ("partial labels"), so
binary and three-way sets calibrate one model.

The L2 penalty that keeps so small a fit stable also shrinks its probabilities towards uniform, so
`fit_tempered` then chooses a temperature by cross-validation inside the same data (out-of-fold
log-loss, Guo et al. 2017's temperature scaling) and folds it into the weights: the stored model
keeps the same form.

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


# Temperatures tried by fit_tempered: below 1 sharpens the probabilities, above 1 softens them.
TEMPERATURES = tuple(np.round(np.arange(0.3, 2.001, 0.05), 2))


def fit_tempered(x: np.ndarray, gold: list[str], feature_names: list[str], l2: float = 0.05,
                 folds: int = 5, repeats: int = 5, fitted_on: str = "", abstain_below: float = 0.5) -> Calibrator:
    """fit(), then P = softmax(logits / T) with T the temperature of least out-of-fold log-loss
    (`folds`-fold cross-validation inside the given data, averaged over `repeats` shuffles); T is
    folded into the weights and bias and named in fitted_on."""
    temperature = cv_temperature(x, gold, feature_names, l2, folds, repeats)
    calibrator = fit(x, gold, feature_names, l2=l2, abstain_below=abstain_below)
    method = f"logistic regression (L2 {l2}), temperature {temperature:g} by {folds}-fold CV log-loss inside this split"
    return calibrator.model_copy(update={
        "weights": (np.array(calibrator.weights) / temperature).tolist(),
        "bias": (np.array(calibrator.bias) / temperature).tolist(),
        "fitted_on": f"{fitted_on}; {method}" if fitted_on else method})


def cv_temperature(x: np.ndarray, gold: list[str], feature_names: list[str], l2: float = 0.05,
                   folds: int = 5, repeats: int = 5) -> float:
    """The temperature of least mean out-of-fold log-loss (of the allowed labels), from TEMPERATURES."""
    x, mask = np.asarray(x, dtype=float), allowed_mask(gold)
    loss = np.zeros(len(TEMPERATURES))
    for seed in range(repeats):
        logits = out_of_fold_logits(x, gold, feature_names, l2, folds, seed)
        for i, t in enumerate(TEMPERATURES):
            loss[i] += -np.log((softmax(logits / t) * mask).sum(axis=1)).mean()
    return float(TEMPERATURES[int(np.argmin(loss))])


def out_of_fold_proba(x: np.ndarray, gold: list[str], feature_names: list[str], temperature: float,
                      l2: float = 0.05, folds: int = 5, repeats: int = 5) -> np.ndarray:
    """Each example's probabilities at `temperature` from models fitted without it, averaged over `repeats`
    shuffles of the folds (the same fits fit_tempered's temperature is chosen from)."""
    return np.mean([softmax(out_of_fold_logits(x, gold, feature_names, l2, folds, seed) / temperature)
                    for seed in range(repeats)], axis=0)


def out_of_fold_logits(x: np.ndarray, gold: list[str], feature_names: list[str], l2: float, folds: int,
                       seed: int) -> np.ndarray:
    """Each example's log-probabilities from a model fitted without its fold (folds in a seeded shuffle)."""
    fold = np.arange(len(x)) % folds
    np.random.default_rng(seed).shuffle(fold)
    logits = np.zeros((len(x), len(LABELS)))
    for k in range(folds):
        train = fold != k
        model = fit(x[train], [g for g, t in zip(gold, train) if t], feature_names, l2=l2)
        logits[~train] = np.log(model.proba(x[~train]))
    return logits


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
