"""Which features the stance calibrator should use, chosen inside the CALIBRATION split only: 5-fold
cross-validated balanced accuracy per set (calibrator and abstention threshold fitted on the other
four folds), for a few feature sets. Reads bench/.cache/offline_judge/records.json.

    python bench/offline_judge.py --per-label 20 && python bench/feature_cv.py

Measured (issue 12, 220 calibration claims): old8 mean 0.531, all11 0.615, no_refute_probe 0.650
(kept: verify/stance.py FEATURES). The "shows it false" probe is no longer asked, so records written
since then lack its features and only no_refute_probe can be re-measured.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np
import offline_judge as oj
from verify import stance
from verify.calibration import balanced_accuracy, fit
recs = [r for r in json.load(open(oj.CACHE / "records.json")) if r["split"] == "calibration"]
OLD = ["support_best", "refute_at_best", "refute_max", "support_minus_refute", "overlap_best",
       "numbers_differ", "names_missing", "negation_differs"]
NLI = ["contradict_at_best", "contradict_max", "entail_best"]
SETS = {"old8": OLD, "all11": OLD + NLI,
        "no_refute_probe": [f for f in OLD + NLI if f not in ("refute_at_best", "refute_max", "support_minus_refute")]}
folds = [i % 5 for i in range(len(recs))]
rng = np.random.default_rng(0); rng.shuffle(folds)
for name, feats in SETS.items():
    if any(f not in recs[0]["features"] for f in feats):  # records made after the refute probe was dropped
        print(name, "skipped: records.json has no", ", ".join(f for f in feats if f not in recs[0]["features"]))
        continue
    preds = [None] * len(recs)
    for k in range(5):
        tr = [r for r, f in zip(recs, folds) if f != k]
        cal = fit(oj.matrix(tr, feats), [r["gold"] for r in tr], feats)
        cal.abstain_below = oj.best_threshold(tr, cal)
        for i, (r, f) in enumerate(zip(recs, folds)):
            if f == k:
                preds[i] = stance.decide(cal.proba(oj.matrix([r], feats))[0], cal.abstain_below)[0]
    out = []
    for ds in oj.SETS:
        idx = [i for i, r in enumerate(recs) if r["dataset"] == ds]
        gold = [recs[i]["gold"] for i in idx]
        pr = [preds[i] for i in idx]
        if ds == "daccord_fr_dev":
            pr = ["REFUTED" if x == "REFUTED" else "NOT_REFUTED" for x in pr]
        out.append(balanced_accuracy(gold, pr))
    print(name, " ".join(f"{d}={b:.2f}" for d, b in zip(oj.SETS, out)), f"mean={np.mean(out):.3f}")
