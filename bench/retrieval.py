"""Retrieval quality: recall@1/5/10 of gold evidence with the default settings (issue 2 and 5 targets).

    python bench/retrieval.py           # default settings
    python bench/retrieval.py --grid    # also the candidate settings the default was chosen from

Sets: the seed set (French claims against the real files in seeds/sources/, measured with the claim
alone, as the bundled model's extractive mode gives text_en == text, and with claim + meta.claim_en,
as a translating model would) and the pooled English dev sets in ../shared/eval/ (every evidence item
is one source). A gold item counts as found when its text lies inside a retrieved chunk. Vector
stores are cached under bench/.cache/retrieval/, so a re-run only embeds the queries.

recall@k = share of claims with at least one gold item in the top k chunks (each gold item settles
its claim alone; the baselines of ../shared/eval/README.md use this definition); items@5 = the
stricter mean share of a claim's gold items in the top 5.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from _shared import CACHE, SEED_SOURCES, MemoEmbeddings, collection_name, dataset_path, machine, table

from verify.config import DEFAULT_EMBEDDER
from verify.embed import build_embedder
from verify.evaluation.dataset import load_dataset
from verify.evaluation.run import build_library, retrieval_metrics, retrieve_all
from verify.retrieve import Retriever
from verify.vectorstore import VectorStore

SETS = ["seed", "climate_fever_dev", "fever_en_dev", "scifact_dev"]
# recall@5 targets: (issue, figure) pairs; issue 2 named the first two sets, issue 5 raised them
TARGETS = {"seed": [(2, 0.90), (5, 0.95)], "climate_fever_dev": [(2, 0.75), (5, 0.80)], "fever_en_dev": [(5, 0.85)]}
GRID_EMBEDDERS = ["use", "minilm", "use+minilm"]
# name -> Retriever overrides; "default" is whatever verify.retrieve ships with
VARIANTS: dict[str, dict] = {
    "default": {},
    "dense only": {"lexical_weight": 0.0},
    "bm25 only": {"dense_weight": 0.0},
    "bm25 weight 0.1": {"lexical_weight": 0.1},
    "bm25 weight 0.5": {"lexical_weight": 0.5},
    "bm25 weight 1.0": {"lexical_weight": 1.0},
    "candidates 20": {"candidates": 20},
    "candidates 100": {"candidates": 100},
    "rrf k=60 (before)": {"fusion": "rrf", "lexical_weight": 1.0},
    "rrf k=20": {"fusion": "rrf", "rrf_k": 20, "lexical_weight": 1.0},
}


def retriever_for(name: str, spec: str) -> Retriever:
    """Open (or build once) the cached library of a set for an embedder."""
    evalset = load_dataset(dataset_path(name))
    embedder = MemoEmbeddings(build_embedder(spec))
    vstore = VectorStore(CACHE / "retrieval" / name, collection_name(spec), spec)
    t0 = time.perf_counter()
    lib = build_library(evalset, vstore, embedder.inner, [str(SEED_SOURCES)] if name == "seed" else None)
    if lib.report.chunks_added:
        print(f"  built {name}/{spec}: {lib.report.chunks_added} chunks in {time.perf_counter() - t0:.0f} s")
    retriever = Retriever(vstore, embedder, top_k=10)
    retriever.lexical()  # build the BM25 index once; variants share it (dataclasses.replace copies it)
    return retriever


def measure(name: str, retriever: Retriever, claim_en: bool) -> dict:
    items = load_dataset(dataset_path(name)).claims
    results = retrieve_all(retriever, items, use_claim_en=claim_en)
    return retrieval_metrics(items, results)


def query_modes(name: str) -> list[tuple[str, bool]]:
    return [("claim", False), ("claim + claim_en", True)] if name == "seed" else [("claim", False)]


def row(name: str, spec: str, variant: str, queries: str, m: dict) -> dict:
    targets = TARGETS.get(name, []) if variant == "default" else []
    verdicts = "; ".join(f">= {t} {'ok' if m['recall@5'] >= t else 'MISSED'} (issue {n})" for n, t in targets)
    return {"set": name, "embedder": spec, "setting": variant, "queries": queries, "claims": m["claims_with_gold"],
            "recall@1": m["recall@1"], "recall@5": m["recall@5"], "recall@10": m["recall@10"],
            "items@5": m["item_recall@5"], "target@5": verdicts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", action="store_true", help="also measure the candidate settings")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--embedders", default=",".join(GRID_EMBEDDERS), help="embedders for --grid")
    args = parser.parse_args()
    specs = [DEFAULT_EMBEDDER] + ([s for s in args.embedders.split(",") if s != DEFAULT_EMBEDDER] if args.grid else [])
    rows = []
    for name in args.sets.split(","):
        for spec in specs:
            base = retriever_for(name, spec)
            variants = VARIANTS if args.grid else {"default": {}}
            for variant, overrides in variants.items():
                retriever = dataclasses.replace(base, **overrides)
                for queries, claim_en in query_modes(name):
                    label = variant if spec == DEFAULT_EMBEDDER else f"{variant} ({spec})"
                    rows.append(row(name, spec, variant if spec == DEFAULT_EMBEDDER else label, queries,
                                    measure(name, retriever, claim_en)))
    print(f"\nRetrieval, recall of gold evidence ({machine()}); default embedder '{DEFAULT_EMBEDDER}', "
          f"Retriever defaults {describe(Retriever)}\n")
    print(table(rows, ["set", "embedder", "setting", "queries", "claims", "recall@1", "recall@5", "recall@10",
                       "items@5", "target@5"]))


def describe(cls) -> str:
    fields = {f.name: f.default for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    return ", ".join(f"{k}={v}" for k, v in fields.items() if k not in ("vstore", "embedder"))


if __name__ == "__main__":
    main()
