"""Quality: `verify eval` with the default settings on the seed set and the four sets of ../shared/eval/.

    python bench/quality.py [--limit 12] [--model SPEC] [--embedder SPEC] [--sets seed,climate_fever_dev,...]

Retrieval recall@1/5/10 is measured on every claim of each pooled set; verdicts are judged on a
seeded, label-balanced sample of --limit claims per set, because the bundled Gemma 3 270M takes
several seconds per claim on 2 cores (pass --limit 0 for every claim). The seed set is pooled over
the real files in seeds/sources/ (its claims carry meta.claim_en, used as the English query form);
daccord_fr_dev is two-way and paired. Libraries and LLM replies are cached under
bench/.cache/quality/, so a re-run is fast and gives the same figures. Full results per set are
written there as JSON and Markdown.
"""

from __future__ import annotations

import argparse

from _shared import CACHE, SEED_SOURCES, dataset_path, machine, table
from offline_judge import load, split_of

from verify.config import Settings
from verify.evaluation.report import markdown, write_outputs
from verify.evaluation.run import EvalConfig, Evaluator

HERE = CACHE / "quality"
SETS = ["seed", "climate_fever_dev", "fever_en_dev", "scifact_dev", "daccord_fr_dev"]
PAIRED = {"daccord_fr_dev"}


def calibration_ids(name: str) -> frozenset[str]:
    """The claims of the split the offline judge's calibrator was fitted on (bench/offline_judge.py): never
    judged here, so the verdict figures are on claims it has not seen."""
    return frozenset(row["id"] for row in load(name) if split_of(row["id"], name) == "calibration")


def run_set(name: str, args) -> dict:
    settings = Settings.from_env(model=args.model, embedder=args.embedder, db_path=HERE / "verify.db")
    cfg = EvalConfig(dataset=dataset_path(name), mode="paired" if name in PAIRED else "pooled",
                     limit=args.limit or None, seed=args.seed, library_dir=HERE / "libraries" / name,
                     sources=[str(SEED_SOURCES)] if name == "seed" else None,
                     exclude_ids=frozenset() if args.include_calibration else calibration_ids(name))
    results = Evaluator(cfg, settings).run()
    write_outputs(results, HERE / f"{name}.json", HERE / f"{name}.md")
    return results


def summary_row(name: str, r: dict) -> dict:
    cls, ret, cit, use = r["classification"], r["retrieval"] or {}, r["citations"], r["usage"]
    return {
        "set": name, "mode": r["mode"], "judged": f"{r['claims_judged']}/{r['claims_in_set']}",
        "accuracy": cls["accuracy"], "bal. acc.": cls["balanced_accuracy"], "macro-F1": cls["macro_f1"],
        "failed": cls["failed"],
        "R@1/5/10 (all claims)": "/".join(f"{ret[f'recall@{k}']:.2f}" for k in (1, 5, 10)) if ret else "n/a",
        "cit. prec.": cit["citation_precision"], "cit. valid": cit["citation_validity"],
        "s/claim": r["timing"]["wall_s_per_claim"],
        "calls/claim": use["calls_per_claim"],  # sent + cached: the method's cost
        "cached": use["cached_calls"],
        "tokens/claim": f"{use['prompt_tokens_per_claim']:.0f}+{use['completion_tokens_per_claim']:.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=12, help="claims judged per set (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None)
    parser.add_argument("--embedder", default=None)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--include-calibration", action="store_true",
                        help="also judge the claims the offline calibrator was fitted on (left out by default)")
    args = parser.parse_args()
    HERE.mkdir(parents=True, exist_ok=True)
    rows, model = [], ""
    for name in args.sets.split(","):
        if not dataset_path(name).is_file():
            print(f"skipped {name}: {dataset_path(name)} not found")
            continue
        results = run_set(name, args)
        model = results["model"]
        rows.append(summary_row(name, results))
        print(markdown(results))
    print(f"\nQuality ({machine()}); model {model}, default embedder, --limit {args.limit}, seed {args.seed}\n")
    print(table(rows, list(rows[0]) if rows else []))
    print("\ncalls/claim counts cached replies too (the method's cost); tokens are prompt+completion per claim;"
          " s/claim is only a model speed when `cached` is 0 (a re-run replays the cached replies).")


if __name__ == "__main__":
    main()
