"""Fixtures for the report tests: a reviewed seed run (real pipeline, scripted model), a hostile
synthetic run, and golden-file comparison (VERIFY_UPDATE_GOLDEN=1 rewrites the golden files)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.report.factory import synthetic_run
from verify.report import build_report
from verify.report_model import Report
from verify.review import decide
from verify.store import Store

GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = ROOT / "tests" / "artifacts"
FIXED_RUN = "r20250315-090000-gold"
FIXED_TIME = "2025-03-15T09:00:00+00:00"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?\+00:00")


def normalise(report: Report) -> Report:
    """Pin what changes between runs (run id, wall-clock times, checkout path) so goldens are stable."""
    text = report.model_dump_json().replace(report.header.run_id, FIXED_RUN)
    text = _TIMESTAMP.sub(FIXED_TIME, text).replace(str(ROOT) + "/", "")
    return Report.model_validate_json(text)


def check_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("VERIFY_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_bytes(actual)
        if os.environ.get("VERIFY_UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {name} was missing and has been written; check it and commit it")
        return
    expected = path.read_bytes()
    assert actual.decode("utf-8") == expected.decode("utf-8"), (
        f"{name} differs from the golden file; if the change is intended, rerun with VERIFY_UPDATE_GOLDEN=1")


@pytest.fixture
def reviewed_run(seeded_run):
    """The seed run with one claim approved, one rejected, one sent back for evidence, one untouched."""
    store, run_id = seeded_run.store, seeded_run.run.id
    claims = store.get_claims(run_id)
    verdicts = store.get_verdicts(run_id)
    first, second, third = (c.id for c in claims[:3])
    decide(store, run_id=run_id, claim_id=first, reviewer="Alice Martin", action="approve",
           machine_verdict=verdicts[first], note="Matches the Reuters report.")
    decide(store, run_id=run_id, claim_id=second, reviewer="Bob Diallo", action="reject",
           machine_verdict=verdicts[second], corrected_label="NOT_ENOUGH_INFO",
           note="The cited sentence is about another statement; no source quotes Kyiv's military.")
    decide(store, run_id=run_id, claim_id=third, reviewer="Bob Diallo", action="needs_evidence",
           machine_verdict=verdicts[third])
    return store, run_id


@pytest.fixture
def seed_report(reviewed_run) -> Report:
    store, run_id = reviewed_run
    return normalise(build_report(store, run_id, generated_at=FIXED_TIME))


@pytest.fixture
def hostile(tmp_path):
    """A synthetic 12-claim run full of HTML, script and formula payloads; returns (store, run_id)."""
    store = Store(tmp_path / "hostile.db")
    run_id = synthetic_run(store, n_claims=12, hostile=True)
    yield store, run_id
    store.close()


@pytest.fixture
def hostile_report(hostile) -> Report:
    store, run_id = hostile
    return normalise(build_report(store, run_id, generated_at=FIXED_TIME))
