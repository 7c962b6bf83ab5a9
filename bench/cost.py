"""Cost: LLM calls and prompt/completion tokens per claim for the seed article.

    python bench/cost.py [--model SPEC] [--run RUN_ID --db PATH]

Runs `verify run` on seeds/articles/trump-poutine-koursk.fr.txt with seeds/sources (default model:
the bundled local one) in bench/.cache/cost/, then reads the run's LLM call log: every call is
counted, including validation retries and calls served from the cache (a cached call costs nothing
now, but it is what the method needs). With --run, a stored run is read instead of running again.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from _shared import CACHE, ROOT, SEED_SOURCES, machine, table

from verify.config import Settings
from verify.evaluation.metrics import estimated_cost
from verify.store import Store

HERE = CACHE / "cost"
ARTICLE = ROOT / "seeds" / "articles" / "trump-poutine-koursk.fr.txt"


def run_seed(model: str | None) -> tuple[Store, str]:
    from verify.pipeline import Pipeline

    settings = Settings.from_env(model=model, db_path=HERE / "verify.db", vectorstore=HERE / "vectorstore")
    pipeline = Pipeline(settings)
    outcome = pipeline.run(str(ARTICLE), [str(SEED_SOURCES)])
    return pipeline.store, outcome.run.id


def per_purpose(store: Store, run_id: str) -> tuple[list[dict], int, str]:
    claims = len(store.get_claims(run_id))
    model = store.get_run(run_id).settings.model
    groups: dict[str, dict] = defaultdict(lambda: {"calls": 0, "cached": 0, "errors": 0, "prompt": 0, "completion": 0})
    for row in store.llm_calls(run_id):
        g = groups[row.purpose]
        g["calls"] += 1
        g["cached"] += row.cached
        g["errors"] += 1 if row.error else 0
        g["prompt"] += row.usage.prompt_tokens
        g["completion"] += row.usage.completion_tokens
    total = {k: sum(g[k] for g in groups.values()) for k in ("calls", "cached", "errors", "prompt", "completion")}
    rows = []
    for purpose, g in sorted(groups.items()) + [("total", total)]:
        rows.append({"purpose": purpose, "calls": g["calls"], "of which cached": g["cached"],
                     "transport errors": g["errors"], "calls/claim": g["calls"] / max(1, claims),
                     "prompt tokens/claim": round(g["prompt"] / max(1, claims)),
                     "completion tokens/claim": round(g["completion"] / max(1, claims))})
    return rows, claims, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--run", default=None, help="read a stored run instead of running")
    parser.add_argument("--db", type=Path, default=None, help="store of --run (default: the bench's)")
    args = parser.parse_args()
    if args.run:
        store, run_id = Store(args.db or HERE / "verify.db"), args.run
    else:
        store, run_id = run_seed(args.model)
    rows, claims, model = per_purpose(store, run_id)
    total = rows[-1]
    print(f"Cost per claim, seed article ({machine()}); run {run_id}, model {model}, {claims} claims\n")
    print(table(rows, list(rows[0])))
    for name in ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"):
        usd = estimated_cost(name, total["prompt tokens/claim"], total["completion tokens/claim"])
        print(f"at {name} list prices the same tokens would cost ${usd:.5f} per claim")


if __name__ == "__main__":
    main()
