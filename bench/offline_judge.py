"""Measure the offline sentence-level stance judge (verify/stance.py) on paired gold evidence.

    nice -n 10 python bench/offline_judge.py --per-label 6            # features for the samples
    nice -n 10 python bench/offline_judge.py --per-label 6 --fit      # + fit verify/stance_calibration.py
    python bench/offline_judge.py --per-label 20 --cached-only --fit --calibration-out /tmp/c.py  # fit elsewhere
    python bench/offline_judge.py --per-label 6                       # re-run: figures from the cache
    nice -n 10 python bench/offline_judge.py --timing                 # s/claim: 1 vs 2 threads, +busy process

Each claim is judged against its own gold evidence sentences (no retrieval), so these figures
measure the judge alone. Splits are by a stable hash of the claim id: CALIBRATION = sha256(id)
first byte < 128 in the four shared dev sets; the calibrator is fitted on it and no figure is ever
reported on it. EVALUATION = the other half, plus every seeds/eval claim. Samples are
label-stratified and grow with --per-label without changing the claims already drawn.

Model answers (P(Yes), translations) are cached in bench/.cache/offline_judge/ with the seconds
each call took, so a re-run is cheap and still reports the original per-claim time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from verify import stance  # noqa: E402
from verify.calibration import (LABELS, auc, balanced_accuracy, cv_temperature, ece, fit_tempered,  # noqa: E402
                                out_of_fold_proba)
from verify.offline_model import QWEN_1_5B, model_path  # noqa: E402
from verify.prompts import Prompt  # noqa: E402

EVAL_DIR = Path(os.environ.get("VERIFY_EVAL_DIR", ROOT.parent / "shared" / "eval"))
SEED_SET = ROOT / "seeds" / "eval" / "seed_claims.jsonl"
CACHE = ROOT / "bench" / ".cache" / "offline_judge"
SETS = ["fever_en_dev", "fever_xl_it_en_dev", "climate_fever_dev", "daccord_fr_dev"]
SPLIT_NAME = "calibration = sha256(claim id)[0] < 128 in fever_en_dev, fever_xl_it_en_dev, climate_fever_dev, daccord_fr_dev"


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def split_of(claim_id: str, dataset: str) -> str:
    if dataset == "seed":
        return "evaluation"
    return "calibration" if _h(claim_id)[0] < 128 else "evaluation"


def load(name: str) -> list[dict]:
    path = SEED_SET if name == "seed" else EVAL_DIR / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample(rows: list[dict], split: str, dataset: str, per_label: int) -> list[dict]:
    """Up to per_label claims of each gold label, in a stable hash order (growing keeps the old ones)."""
    by_label = defaultdict(list)
    for row in sorted(rows, key=lambda r: _h("sample:" + r["id"])):
        if split_of(row["id"], dataset) == split:
            by_label[row["label"]].append(row)
    if dataset == "seed":
        return [r for r in rows]
    # Labels take turns, so the first k claims of a sample are as balanced as the whole.
    return [by_label[label][i] for i in range(per_label) for label in sorted(by_label) if i < len(by_label[label])]


class NotCached(Exception):
    """--cached-only: this claim has model calls not in the cache yet."""


class CachedProbe:
    """The ProbeModel protocol over a disk cache; the model loads only on the first miss."""

    def __init__(self, n_threads: int = 1, use_cache: bool = True, cached_only: bool = False):
        self.n_threads, self.use_cache, self.cached_only = n_threads, use_cache, cached_only
        self.identity = f"qwen1.5b-q4km:{QWEN_1_5B.sha256[:12]}"
        self._model = None
        CACHE.mkdir(parents=True, exist_ok=True)
        self._path = CACHE / f"{self.identity.replace(':', '-')}.jsonl"
        self._memo: dict[str, dict] = {}
        if use_cache and self._path.is_file():
            for line in self._path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self._memo[entry["key"]] = entry
        self.seconds = 0.0   # model time of the calls made through this object (cached ones too)

    def _model_(self):
        if self._model is None:
            self._model = stance.LlamaProbe(model_path(QWEN_1_5B), n_threads=self.n_threads, identity=self.identity)
        return self._model

    def _call(self, kind: str, prompt: Prompt, fn, **values):
        key = hashlib.sha256(json.dumps([kind, prompt.ref.sha256, values], sort_keys=True).encode()).hexdigest()
        if self.use_cache and key in self._memo:
            entry = self._memo[key]
        elif self.cached_only:
            raise NotCached(kind)
        else:
            start = time.perf_counter()
            value = fn()
            entry = {"key": key, "value": value, "seconds": round(time.perf_counter() - start, 3),
                     "kind": kind, "prompt": f"{prompt.ref.id}/{prompt.ref.version}"}
            if self.use_cache:
                self._memo[key] = entry
                with self._path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")
        self.seconds += entry["seconds"]
        return entry["value"]

    def p_yes(self, prompt: Prompt, **values: str) -> float:
        return self._call("p_yes", prompt, lambda: self._model_().p_yes(prompt, **values), **values)

    def p_choices(self, prompt: Prompt, answers: tuple[str, ...], **values: str) -> list[float]:
        return self._call(f"p_choices:{'/'.join(answers)}", prompt,
                          lambda: self._model_().p_choices(prompt, answers, **values), **values)

    def complete(self, prompt: Prompt, max_tokens: int, **values: str) -> str:
        return self._call(f"complete:{max_tokens}", prompt,
                          lambda: self._model_().complete(prompt, max_tokens, **values), **values)


def claim_record(row: dict, dataset: str, probe: CachedProbe, prompts: stance.StancePrompts) -> dict:
    probe.seconds = 0.0
    evidence = [e["text"] for e in row["evidence"]]
    claim_en = stance.english_claim(row["claim"], row["language"], probe, prompts)
    sentences = stance.probe_sentences(row["claim"], claim_en, evidence, probe, prompts)
    return {"id": row["id"], "dataset": dataset, "split": split_of(row["id"], dataset), "gold": row["label"],
            "claim": row["claim"], "claim_en": claim_en, "features": stance.claim_features(sentences),
            "seconds": round(probe.seconds, 2),
            "sentences": [s.model_dump() for s in sentences]}


def collect(per_label: int, n_threads: int, sets: list[str], worker: tuple[int, int] = (0, 1),
            cached_only: bool = False) -> list[dict]:
    probe, prompts = CachedProbe(n_threads, cached_only=cached_only), stance.StancePrompts.load()
    todo = [(rank, split, name, row) for split in ("calibration", "evaluation")
            for name in sets if not (name == "seed" and split == "calibration")
            for rank, row in enumerate(sample(load(name), split, name, per_label))]
    # Interleave sets and splits so a run cut short still covers each of them; --worker k/n takes
    # every n-th claim, so n processes can share the work (and the cache file).
    todo = [(name, split, row) for rank, split, name, row in sorted(todo, key=lambda t: t[:3])]
    todo = todo[worker[0]::worker[1]]
    records = []
    for i, (name, split, row) in enumerate(todo, 1):
        try:
            records.append(claim_record(row, name, probe, prompts))
        except NotCached:
            continue
        print(f"[{i}/{len(todo)}] {name} {split} {row['label']:<15} {records[-1]['seconds']:6.1f}s "
              f"sup={records[-1]['features']['support_best']:+.2f}", file=sys.stderr, flush=True)
    return records


def matrix(records: list[dict], names: list[str] = stance.FEATURES) -> np.ndarray:
    """One row of features per claim, in the calibrator's order (an older calibrator may use fewer)."""
    return np.array([[r["features"][f] for f in names] for r in records])


def report(records: list[dict], calibrator) -> list[dict]:
    rows = []
    for name in dict.fromkeys(r["dataset"] for r in records):
        recs = [r for r in records if r["dataset"] == name and r["split"] == "evaluation"]
        if not recs:
            continue
        p = calibrator.proba(matrix(recs, calibrator.feature_names))
        gold = [r["gold"] for r in recs]
        verdicts = [stance.decide(pi, calibrator.abstain_below) for pi in p]
        predicted = [v[0] for v in verdicts]
        if name == "daccord_fr_dev":   # binary: REFUTED vs not
            score, positive = p[:, 1], [g == "REFUTED" for g in gold]
            binary = ["REFUTED" if x == "REFUTED" else "NOT_REFUTED" for x in predicted]
            conf = [pi[1] if b == "REFUTED" else 1 - pi[1] for pi, b in zip(p, binary)]
            correct = [b == g for b, g in zip(binary, gold)]
            bacc = balanced_accuracy(gold, binary)
            raw = auc([-r["features"]["support_best"] for r in recs], positive)
        else:                           # true vs altered: P(SUPPORTED) - P(REFUTED) on those two labels
            keep = [g in ("SUPPORTED", "REFUTED") for g in gold]
            score = (p[:, 0] - p[:, 1])[keep]
            positive = [g == "SUPPORTED" for g, k in zip(gold, keep) if k]
            conf = [pi[LABELS.index(x)] for pi, x in zip(p, predicted)]
            correct = [x == g for x, g in zip(predicted, gold)]
            bacc = balanced_accuracy(gold, predicted)
            raw = auc([r["features"]["support_best"] for r, k in zip(recs, keep) if k], positive)
        rows.append({"set": name, "n": len(recs), "auc": auc(score, positive), "auc_raw_support": raw,
                     "balanced_accuracy": bacc, "ece": ece(conf, correct),
                     "abstained": sum(v[1] for v in verdicts),
                     "s_per_claim": float(np.mean([r["seconds"] for r in recs]))})
    return rows


def best_threshold(calib: list[dict], calibrator) -> float:
    """The abstention threshold of best mean balanced accuracy over the calibration split's sets, judged on
    out-of-fold probabilities: each claim scored by calibrators fitted without it (5 folds, 5 shuffles, the
    cross-validated temperature). In-sample probabilities are surer than they should be, and chose a
    threshold (0.34) that never abstained."""
    x, gold, names = matrix(calib, calibrator.feature_names), [r["gold"] for r in calib], calibrator.feature_names
    temperature = cv_temperature(x, gold, names)
    p = out_of_fold_proba(x, gold, names, temperature)
    sets = {name: [i for i, r in enumerate(calib) if r["dataset"] == name] for name in dict.fromkeys(r["dataset"] for r in calib)}

    def mean_bacc(threshold: float) -> float:
        return float(np.mean([balanced_accuracy([gold[i] for i in idx], [stance.decide(p[i], threshold)[0] for i in idx])
                              for idx in sets.values()]))

    return max(np.round(np.arange(0.34, 0.71, 0.02), 2).tolist(), key=mean_bacc)


def print_table(rows: list[dict], calibrator) -> None:
    print(f"Calibrator fitted on: {calibrator.fitted_on}")
    print("| set | n | AUC (calibrated) | AUC (raw P(Yes)) | balanced acc. | ECE | abstained | s/claim |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['n']} | {r['auc']:.2f} | {r['auc_raw_support']:.2f} | {r['balanced_accuracy']:.2f} | "
              f"{r['ece']:.2f} | {r['abstained']} | {r['s_per_claim']:.1f} |")


def timing(n_claims: int) -> None:
    """Uncached s/claim on a few Italian claims (translation included): 1 and 2 threads, then the
    same beside one extra busy process started here (and stopped by its pid)."""
    rows = sample(load("fever_xl_it_en_dev"), "evaluation", "fever_xl_it_en_dev", 2)[:n_claims]
    prompts = stance.StancePrompts.load()
    for busy in (False, True):
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            for threads in (1, 2):
                probe = CachedProbe(threads, use_cache=False)
                probe._model_()
                times = [claim_record(r, "fever_xl_it_en_dev", probe, prompts)["seconds"] for r in rows]
                print(f"threads={threads} extra_busy_process={busy} load={os.getloadavg()[0]:.1f}: "
                      f"{np.mean(times):.1f} s/claim (min {min(times):.1f}, max {max(times):.1f}, n={len(times)})", flush=True)
        finally:
            if hog:
                hog.kill()
                hog.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-label", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sets", default=",".join(SETS + ["seed"]))
    ap.add_argument("--fit", action="store_true", help="fit and write verify/stance_calibration.py")
    ap.add_argument("--calibration-out", type=Path, default=stance.CALIBRATION_FILE,
                    help="where --fit writes the calibration module (default: the package's)")
    ap.add_argument("--abstain-below", type=float, default=-1,
                    help="abstention threshold; negative: the best mean balanced accuracy on the calibration split")
    ap.add_argument("--worker", default="0/1", help="k/n: do every n-th claim starting at k")
    ap.add_argument("--cached-only", action="store_true", help="report on the claims already cached")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--timing-claims", type=int, default=3)
    args = ap.parse_args()
    if args.timing:
        timing(args.timing_claims)
        return
    k, n = (int(x) for x in args.worker.split("/"))
    records = collect(args.per_label, args.threads, args.sets.split(","), (k, n), args.cached_only)
    if n > 1:
        return
    (CACHE / "records.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    if args.fit:
        calib = [r for r in records if r["split"] == "calibration"]
        # The temperature, like the threshold, is chosen inside the calibration split (cross-validated).
        calibrator = fit_tempered(matrix(calib), [r["gold"] for r in calib], stance.FEATURES,
                                  fitted_on=f"{SPLIT_NAME} ({len(calib)} claims, {args.per_label} per label per set)",
                                  abstain_below=args.abstain_below)
        if args.abstain_below < 0:   # choose it on the calibration split, never on the reported one
            calibrator.abstain_below = best_threshold(calib, calibrator)
        stance.save_calibrator(calibrator, args.calibration_out)
    else:
        calibrator = stance.load_calibrator()
    print_table(report(records, calibrator), calibrator)


if __name__ == "__main__":
    main()
