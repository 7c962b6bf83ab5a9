"""Claim memory matching: precision and recall on labelled claim pairs (issue 14).

    python bench/claim_memory.py                      # seeds/eval/claim_pairs.jsonl, embedder `use`
    python bench/claim_memory.py --embedder use+minilm --pairs my_pairs.jsonl

The pairs (same claim / different claim: identical, translated, paraphrased, the seed article's altered
copy, and hard negatives with another figure, date, place, person or polarity) are split in two halves,
alternating within each kind in file order: the **dev** half (1st, 3rd, ... pair of each kind) chooses the
threshold (best F1, ties to the higher threshold), the **test** half reports precision and recall at it.
A pair matches when its score (best cosine over the claims' text and English forms) reaches the threshold
and verify.memory.lexical_conflict finds no conflict; the embedding alone (its own dev threshold) is shown
for comparison. Then the seed article and its altered copy (seeds/articles/), sentence by sentence as the
bundled model's extractive mode stores claims (French, no English form): every sentence of the copy looks
for its best match among all sentences of the original, as a new run does among reviewed claims.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify import memory  # noqa: E402
from verify.memory import ClaimText, lexical_conflict, similarities  # noqa: E402

PAIRS = ROOT / "seeds" / "eval" / "claim_pairs.jsonl"
ARTICLES = ROOT / "seeds" / "articles"


def load(path: Path) -> list[dict]:
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen: dict[str, int] = defaultdict(int)
    for pair in pairs:  # alternate within each kind, so both halves hold every kind
        pair["split"] = "dev" if seen[pair["kind"]] % 2 == 0 else "test"
        seen[pair["kind"]] += 1
    return pairs


def side(data: dict) -> ClaimText:
    return ClaimText(data["text"], data.get("text_en") or data["text"], data.get("language", ""))


def counts(pairs: list[dict], threshold: float, lexical: bool) -> dict:
    tp = fp = fn = 0
    for p in pairs:
        said = p["score"] >= threshold and not (lexical and p["conflict"])
        tp += said and p["same"]
        fp += said and not p["same"]
        fn += (not said) and p["same"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def choose(dev: list[dict], lexical: bool) -> float:
    """The threshold with the best dev F1; ties go to the higher threshold (fewer wrong suggestions)."""
    candidates = sorted({round(p["score"], 4) for p in dev}, reverse=True)
    return max(candidates, key=lambda t: (counts(dev, t, lexical)["f1"], t))


def line(name: str, c: dict) -> str:
    return (f"  {name:<34} precision {c['precision']:.2f}  recall {c['recall']:.2f}  F1 {c['f1']:.2f}  "
            f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})")


def score_pairs(embedder, pairs: list[dict]) -> None:
    a = [side(p["a"]) for p in pairs]
    b = [side(p["b"]) for p in pairs]
    for i, pair in enumerate(pairs):  # one pair at a time would re-embed; score the diagonal of one batch
        pair["_a"], pair["_b"] = a[i], b[i]
    scores = similarities(embedder, a, b)
    for i, pair in enumerate(pairs):
        pair["score"] = float(scores[i, i])
        pair["conflict"] = lexical_conflict(a[i], b[i])


def sentences(path: Path) -> list[str]:
    import pysbd

    text = path.read_text(encoding="utf-8")
    return [s.strip() for s in pysbd.Segmenter(language="fr", clean=False).segment(text) if len(s.split()) >= 5]


def altered_copy(embedder, threshold: float) -> None:
    original = sentences(ARTICLES / "trump-poutine-koursk.fr.txt")
    altered = sentences(ARTICLES / "trump-poutine-koursk-altered.fr.txt")
    old = [ClaimText(s, s, "fr") for s in original]
    new = [ClaimText(s, s, "fr") for s in altered]
    scores = similarities(embedder, new, old)
    found = missed = wrong = rightly_none = 0
    changed = []
    for i, sentence in enumerate(altered):
        twin = original.index(sentence) if sentence in original else None
        kept = [j for j in scores[i].argsort()[::-1] if memory.is_match(float(scores[i, j]), new[i], old[j], threshold)]
        best = kept[0] if kept else None
        if twin is not None:
            found += best == twin
            missed += best != twin
        else:
            changed.append((sentence, best, float(scores[i].max()), lexical_conflict(new[i], old[int(scores[i].argmax())])))
            wrong += best is not None
            rightly_none += best is None
    print(f"\nSeed article vs its altered copy ({len(altered)} sentences of 5+ words, French, no English form):")
    print(f"  unchanged sentences: {found} of {found + missed} matched to their twin in the original")
    print(f"  changed sentences: {rightly_none} of {len(changed)} got no suggestion, {wrong} a wrong one")
    for sentence, best, top, reason in changed:
        outcome = "no suggestion" if best is None else f"WRONG suggestion: {original[best][:60]}"
        print(f"    - {sentence[:70]}... best cosine {top:.2f}; {reason or 'no lexical conflict'}; {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--embedder", default="use", help="embedder spec (default: use, the one verify.memory uses)")
    args = parser.parse_args()
    from verify.embed import build_embedder

    started = time.perf_counter()
    embedder = build_embedder(args.embedder)
    pairs = load(args.pairs)
    score_pairs(embedder, pairs)
    dev = [p for p in pairs if p["split"] == "dev"]
    test = [p for p in pairs if p["split"] == "test"]
    print(f"{args.pairs.name}: {len(pairs)} pairs ({sum(p['same'] for p in pairs)} same claim), embedder {args.embedder}; "
          f"dev half {len(dev)} pairs chooses the threshold, test half {len(test)} pairs reports it")
    with_check, alone = choose(dev, True), choose(dev, False)
    print(f"threshold chosen on dev: {with_check:.4f} with the lexical check, {alone:.4f} embedding alone "
          f"(verify.memory.THRESHOLD = {memory.THRESHOLD})")
    for name, half in (("dev", dev), ("test", test)):
        print(f"{name} half:")
        print(line("embedding + lexical check", counts(half, with_check, True)))
        print(line("embedding alone", counts(half, alone, False)))
    print(line("test half at verify.memory.THRESHOLD", counts(test, memory.THRESHOLD, True)))
    print("\nErrors on the test half (embedding + lexical check):")
    for p in test:
        said = p["score"] >= with_check and not p["conflict"]
        if said != p["same"]:
            kind = "missed" if p["same"] else "false match"
            print(f"  {p['id']} {p['kind']:<11} {kind:<11} score {p['score']:.3f}  {p['conflict'] or ''}  {p['note']}")
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for p in test:
        by_kind[p["kind"]].append(p)
    print("\nTest half by kind (right / pairs): " + ", ".join(
        f"{k} {sum((p['score'] >= with_check and not p['conflict']) == p['same'] for p in v)}/{len(v)}"
        for k, v in by_kind.items()))
    altered_copy(embedder, memory.THRESHOLD)
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
