"""bench/quality.py reports verdicts on claims the offline calibrator has not seen (README, Benchmarks)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
EVAL_SET = BENCH.parent.parent / "shared" / "eval" / "fever_en_dev.jsonl"


@pytest.fixture
def quality(monkeypatch):
    # quality.py imports its siblings by name; bench/ goes last on the path, so bench/ui.py cannot shadow `ui`.
    monkeypatch.setattr(sys, "path", [*sys.path, str(BENCH)])
    spec = importlib.util.spec_from_file_location("bench_quality", BENCH / "quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not EVAL_SET.is_file(), reason="needs ../shared/eval beside the checkout")
def test_the_claims_the_calibrator_is_fitted_on_are_never_judged(quality):
    judge = sys.modules["offline_judge"]
    fitted = judge.sample(judge.load("fever_en_dev"), "calibration", "fever_en_dev", per_label=20)
    left_out = quality.calibration_ids("fever_en_dev")
    assert len(fitted) == 60 and {row["id"] for row in fitted} <= left_out
    assert all(judge.split_of(claim_id, "fever_en_dev") == "calibration" for claim_id in left_out)
    assert quality.calibration_ids("seed") == frozenset()  # the seed set is never used for calibration
