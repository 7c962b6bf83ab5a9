"""Which wording of the entailment probe (prompts/stance_nli) separates REFUTED claims best: chosen on
a sample of the CALIBRATION split only (bench/offline_judge.py's split), never on the reported one.

    python bench/offline_judge.py --per-label 20                # first: records.json with the sentences
    nice -n 10 python bench/nli_wordings.py                     # fever_en_dev + daccord_fr_dev, 10 per label
    nice -n 10 python bench/nli_wordings.py --sets fever_xl_it_en_dev,climate_fever_dev

Per wording: AUC of P(no / false) at the best-support sentence (and the max over sentences) for
REFUTED against every other gold label. Answers are cached with offline_judge's (same cache file).
Measured (10 claims per label per set, issue 12): "a" (kept as stance_nli/v1) 0.89 / 0.94 / 0.80 /
0.71 on fever_en / daccord / fever_xl / climate; "b" 0.89 / 0.92 / - / -; "c" 0.95 / 0.78 / 0.84 / 0.54.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from offline_judge import CACHE, CachedProbe  # noqa: E402

from verify.calibration import auc  # noqa: E402
from verify.mismatch import overlap  # noqa: E402
from verify.models import PromptRef  # noqa: E402
from verify.prompts import USER_MARKER, Prompt, load_prompt  # noqa: E402

# (prompt file text, answers in the order entails / contradicts / neither); "a" is prompts/stance_nli/v1.md.
CANDIDATES = {
    "b": ("You are a careful reader. Answer with one word.\n---user---\n{sentence}\n"
          "Question: {claim} True, False, or Neither?\n", ("true", "false", "neither")),
    "c": ("You check facts. Answer with one word.\n---user---\nSentence: {sentence}\nClaim: {claim}\n\n"
          "According to the sentence, is the claim true, false, or not mentioned? Answer with one word: "
          "true, false, or unknown.\n", ("true", "false", "unknown")),
}


def candidate(name: str) -> tuple[Prompt, tuple[str, ...]]:
    if name == "a":
        return load_prompt("stance_nli"), ("yes", "no", "maybe")
    raw, answers = CANDIDATES[name]
    system, user = raw.split(USER_MARKER, 1)
    ref = PromptRef(id="stance_nli", version=name, sha256=hashlib.sha256(raw.encode()).hexdigest())
    return Prompt(ref=ref, system=system.strip(), user_template=user.strip()), answers


def calibration_sample(sets: list[str], per_label: int) -> list[dict]:
    records = json.loads((CACHE / "records.json").read_text(encoding="utf-8"))
    out = []
    for name in sets:
        labels = sorted({r["gold"] for r in records if r["dataset"] == name})
        for label in labels:
            out += [r for r in records if r["dataset"] == name and r["split"] == "calibration"
                    and r["gold"] == label][:per_label]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="fever_en_dev,daccord_fr_dev")
    ap.add_argument("--per-label", type=int, default=10)
    ap.add_argument("--wordings", default="a,b,c")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    sets, probe = args.sets.split(","), CachedProbe(args.threads)
    sample = calibration_sample(sets, args.per_label)
    for name in args.wordings.split(","):
        prompt, answers = candidate(name)
        rows = []
        for r in sample:
            forms = [r["claim_en"]] if r["claim_en"] == r["claim"] else [r["claim_en"], r["claim"]]
            scored = [(s["p_support"], probe.p_choices(prompt, answers, claim=max(forms, key=lambda c: overlap(c, s["text"])),
                                                       sentence=s["text"])) for s in r["sentences"]]
            at_best = max(scored, key=lambda t: t[0])[1][1] if scored else 0.0
            rows.append((r["dataset"], r["gold"] == "REFUTED", at_best, max((p[1] for _, p in scored), default=0.0)))
        print(f"wording {name} {answers}:")
        for ds in sets:
            mine = [x for x in rows if x[0] == ds]
            refuted = [x[1] for x in mine]
            print(f"  {ds}: REFUTED-vs-rest AUC of P({answers[1]}) at best sentence {auc([x[2] for x in mine], refuted):.2f}, "
                  f"max {auc([x[3] for x in mine], refuted):.2f} (n={len(mine)}, mean at best REFUTED "
                  f"{np.mean([x[2] for x in mine if x[1]]):.2f} / others {np.mean([x[2] for x in mine if not x[1]]):.2f})")


if __name__ == "__main__":
    main()
