"""Golden files: each format of a fixed, normalised run must match byte for byte.

Regenerate after an intended change with `VERIFY_UPDATE_GOLDEN=1 python -m pytest tests/report`,
then read the diff before committing it.
"""

import pytest

from tests.report.conftest import check_golden
from verify.report import FORMATS, render

EXT = {fmt: spec.suffix for fmt, spec in FORMATS.items()}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_seed_run_matches_golden(seed_report, fmt):
    check_golden(f"seed{EXT[fmt]}", render(seed_report, fmt))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_hostile_run_matches_golden(hostile_report, fmt):
    check_golden(f"hostile{EXT[fmt]}", render(hostile_report, fmt, organization="Example Fact Check",
                                               publish_url="https://factcheck.example/kursk"))


def test_seed_report_content(seed_report):
    """What the golden files are about, said in assertions (a regenerated golden cannot hide a regression)."""
    header = seed_report.header
    assert [c.number for c in seed_report.claims] == [1, 2, 3, 4]
    assert (header.review_totals.approved, header.review_totals.rejected) == (1, 1)
    assert header.completeness.reviewed == 2 and header.completeness.percent == 50.0
    assert [c.review.state for c in seed_report.claims] == ["approved", "rejected", "needs_evidence", "unreviewed"]
    assert seed_report.claims[1].review.label == "NOT_ENOUGH_INFO"
    assert seed_report.claims[1].machine.label.value == "REFUTED"
    for claim in seed_report.claims:
        assert claim.quote in claim.article_sentence
    assert {p.id for p in header.prompts} == {"extract_claims", "judge_claim"}
    assert all(len(p.sha256) == 64 for p in header.prompts)
    assert [s.number for s in seed_report.bibliography] == [1, 2, 3]
    assert not header.demo_grade and not header.warning
