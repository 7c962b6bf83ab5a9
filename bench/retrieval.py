"""Retrieval quality: recall@1/5/10 of gold evidence with the default settings (issue 2 and 5 targets).

    python bench/retrieval.py                        # the seed set and the dev sets, default settings
    python bench/retrieval.py my_set.jsonl           # your own set (docs/eval-format.md), pooled over its evidence
    python bench/retrieval.py my_set.jsonl --sources library/   # ... or over your source files
    python bench/retrieval.py --grid                 # also the candidate settings the default was chosen from

Sets: the seed set (French claims against the real files in seeds/sources/), news_fr (French claims
against 41 real news reports in seeds/eval/news/, stored public pages not written for the claims: the
realistic cross-lingual figure) and the pooled dev sets in ../shared/eval/ (every evidence item is one
source). A set whose claims carry meta.claim_en is measured twice: with the claim alone, as the
bundled model's extractive mode gives text_en == text, and with claim + meta.claim_en, as a
translating model would. A gold item counts as found when its text lies inside a retrieved chunk. Vector
stores are cached under bench/.cache/retrieval/ (--cache-dir), so a re-run only embeds the queries.
The dev sets are read from $VERIFY_EVAL_DIR (default ../shared/eval/); a set given by path needs
neither.

recall@k = share of claims with at least one gold item in the top k chunks (each gold item settles
its claim alone; the baselines of ../shared/eval/README.md use this definition); items@5 = the
stricter mean share of a claim's gold items in the top 5; bm25 R@5 = recall@5 of BM25 alone on the
same chunks and queries (no embeddings), the usual baseline the default has to beat.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from _shared import CACHE, LOCAL_SETS, MemoEmbeddings, collection_name, dataset_path, machine, table

from verify.config import DEFAULT_EMBEDDER
from verify.embed import build_embedder
from verify.evaluation.dataset import load_dataset
from verify.evaluation.run import build_library, retrieval_metrics, retrieve_all
from verify.retrieve import Fusion, Retriever, Signal
from verify.vectorstore import VectorStore

SETS = ["seed", "news_fr", "climate_fever_dev", "fever_en_dev", "fever_xl_it_en_dev", "scifact_dev"]
# recall@5 targets: (issue, figure) pairs; issue 2 named the first two sets, issue 5 raised them
TARGETS = {"seed": [(2, 0.90), (5, 0.95)], "climate_fever_dev": [(2, 0.75), (5, 0.80), (12, 0.76)],
           "fever_en_dev": [(5, 0.85)], "fever_xl_it_en_dev": [(12, 0.98)], "news_fr": [(12, 0.90)]}
GRID_EMBEDDERS = ["use", "minilm", "use+minilm"]


def rrf(k: int) -> Fusion:
    """Reciprocal-rank fusion, the default until z-scores measured better: each signal adds
    weight / (k + rank) to its own best candidates. Kept here, the only place it is compared."""

    def fuse(signals: list[Signal], n: int, weights: Mapping[str, float]) -> np.ndarray:
        fused = np.zeros(n, dtype=np.float64)
        for sig in signals:
            for rank, i in enumerate(sig.top, start=1):
                fused[i] += weights[sig.kind] / (k + rank)
        return fused

    fuse.__name__ = f"rrf(k={k})"
    return fuse


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
    "rrf k=60 (before)": {"fusion": rrf(60), "lexical_weight": 1.0},
    "rrf k=20": {"fusion": rrf(20), "lexical_weight": 1.0},
}


@dataclasses.dataclass(frozen=True)
class EvalSetRef:
    name: str
    path: Path
    sources: list[str] | None  # pooled over these files; None: over the set's own evidence


def set_refs(args) -> list[EvalSetRef]:
    """Sets given by path (with --sources if any), else the named sets (those kept in the repository are
    pooled over their own source folder: seed over seeds/sources/, news_fr over seeds/eval/news/)."""
    if args.datasets:
        return [EvalSetRef(Path(p).stem, Path(p), args.sources) for p in args.datasets]
    return [EvalSetRef(name, dataset_path(name), [str(LOCAL_SETS[name][1])] if name in LOCAL_SETS else None)
            for name in args.sets.split(",")]


def retriever_for(ref: EvalSetRef, spec: str, cache: Path) -> Retriever:
    """Open (or build once) the cached library of a set for an embedder."""
    evalset = load_dataset(ref.path)
    embedder = MemoEmbeddings(build_embedder(spec))
    vstore = VectorStore(cache / ref.name, collection_name(spec), spec)
    t0 = time.perf_counter()
    lib = build_library(evalset, vstore, embedder.inner, ref.sources)
    for _, reason in lib.unreadable:
        print(f"  skipped (unreadable): {reason}")
    if lib.report.chunks_added:
        print(f"  built {ref.name}/{spec}: {lib.report.chunks_added} chunks in {time.perf_counter() - t0:.0f} s")
    retriever = Retriever(vstore, embedder, top_k=10)
    retriever.lexical()  # build the BM25 index once; variants share it (dataclasses.replace copies it)
    return retriever


def measure(ref: EvalSetRef, retriever: Retriever, claim_en: bool) -> dict:
    items = load_dataset(ref.path).claims
    results = retrieve_all(retriever, items, use_claim_en=claim_en)
    return retrieval_metrics(items, results)


def query_modes(ref: EvalSetRef) -> list[tuple[str, bool]]:
    """The claim alone, and claim + its English form where the set gives one (meta.claim_en)."""
    translated = any(item.claim_en for item in load_dataset(ref.path).claims)
    return [("claim", False), ("claim + claim_en", True)] if translated else [("claim", False)]


def row(name: str, spec: str, variant: str, queries: str, m: dict, bm25: dict) -> dict:
    targets = TARGETS.get(name, []) if variant == "default" else []
    verdicts = "; ".join(f">= {t} {'ok' if m['recall@5'] >= t else 'MISSED'} (issue {n})" for n, t in targets)
    return {"set": name, "embedder": spec, "setting": variant, "queries": queries, "claims": m["claims_with_gold"],
            "recall@1": m["recall@1"], "recall@5": m["recall@5"], "recall@10": m["recall@10"],
            "items@5": m["item_recall@5"], "bm25 R@5": bm25["recall@5"], "target@5": verdicts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", type=Path,
                        help="JSONL sets to measure (format: docs/eval-format.md); default: the --sets by name")
    parser.add_argument("--sources", action="append", default=None,
                        help="with dataset paths: pool over these source files or folders instead of the sets' evidence")
    parser.add_argument("--sets", default=",".join(SETS), help="named sets: seed, or a file name in $VERIFY_EVAL_DIR")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help="embedder of the default rows")
    parser.add_argument("--grid", action="store_true", help="also measure the candidate settings")
    parser.add_argument("--embedders", default=",".join(GRID_EMBEDDERS), help="embedders for --grid")
    parser.add_argument("--cache-dir", type=Path, default=CACHE / "retrieval", help="where the vector stores are kept")
    args = parser.parse_args()
    refs = set_refs(args)
    for ref in refs:
        if not ref.path.is_file():
            parser.error(f"no dataset file {ref.path} (set VERIFY_EVAL_DIR, or give the file's path)")
    specs = [args.embedder] + ([s for s in args.embedders.split(",") if s != args.embedder] if args.grid else [])
    rows = []
    for ref in refs:
        for spec in specs:
            base = retriever_for(ref, spec, args.cache_dir)
            # The baseline, BM25 alone on the same chunks and queries: the same for every variant, measured once.
            bm25_only = dataclasses.replace(base, dense_weight=0.0)
            bm25 = {claim_en: measure(ref, bm25_only, claim_en) for _, claim_en in query_modes(ref)}
            variants = VARIANTS if args.grid else {"default": {}}
            for variant, overrides in variants.items():
                retriever = dataclasses.replace(base, **overrides)
                for queries, claim_en in query_modes(ref):
                    label = variant if spec == args.embedder else f"{variant} ({spec})"
                    rows.append(row(ref.name, spec, label, queries, measure(ref, retriever, claim_en),
                                    bm25[claim_en]))
    print(f"\nRetrieval, recall of gold evidence ({machine()}); embedder '{args.embedder}', "
          f"Retriever defaults {describe(Retriever)}\n")
    print(table(rows, ["set", "embedder", "setting", "queries", "claims", "recall@1", "recall@5", "recall@10",
                       "items@5", "bm25 R@5", "target@5"]))


def describe(cls) -> str:
    fields = {f.name: f.default for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    return ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in fields.items() if k not in ("vstore", "embedder"))


if __name__ == "__main__":
    main()
