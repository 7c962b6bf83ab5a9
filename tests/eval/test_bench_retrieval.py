"""bench/retrieval.py measures a set given by path, with a BM25-alone baseline column (issue 13, item 11)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.eval.test_evaluate import ROWS

ROOT = Path(__file__).resolve().parents[2]


def test_bench_retrieval_takes_a_dataset_path_and_shows_a_bm25_baseline(tmp_path):
    path = tmp_path / "my_set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "VERIFY_EVAL_DIR"}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "retrieval.py"), str(path), "--embedder", "hash",
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header = next(line for line in done.stdout.splitlines() if line.startswith("| set |"))
    assert "bm25 R@5" in header
    row = next(line for line in done.stdout.splitlines() if line.startswith("| my_set |"))
    cells = dict(zip([c.strip() for c in header.split("|")], [c.strip() for c in row.split("|")]))
    assert cells["claims"] == "2" and cells["bm25 R@5"] == "1.000" and cells["recall@5"] == "1.000"


def test_reciprocal_rank_fusion_of_the_bench_scores_reciprocal_ranks(tmp_path, monkeypatch):
    """RRF, the fusion z-scores replaced, lives in bench/retrieval.py (its only user) as a Fusion."""
    import importlib.util

    from tests.test_retrieve import retriever

    monkeypatch.syspath_prepend(str(ROOT / "bench"))  # bench/retrieval.py imports its neighbour _shared
    spec = importlib.util.spec_from_file_location("bench_retrieval", ROOT / "bench" / "retrieval.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_retrieval", bench)  # its dataclasses look themselves up there
    spec.loader.exec_module(bench)
    r = retriever(tmp_path, top_k=1)
    r.fusion, r.lexical_weight = bench.rrf(60), 1.0
    top = r.retrieve(["Leavitt Trump spoken Putin"])[0]
    assert top.chunk.source.source_id == "leavitt"
    # first in both the dense and the BM25 ranking: 2 / (k + 1)
    assert abs(top.fused_score - 2 / (60 + 1)) < 1e-6
