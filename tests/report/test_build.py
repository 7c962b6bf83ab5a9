"""Building the Report from the store: filtering options, numbering, failures, the demo-grade warning."""

import json

import pytest

from tests.report.factory import synthetic_run
from verify.errors import VerifyError
from verify.report import build_report, render_report
from verify.report_model import ReportOptions


def build(hostile, **options):
    store, run_id = hostile
    return build_report(store, run_id, ReportOptions(**options))


def test_claims_in_article_order_with_their_sentence(hostile):
    report = build(hostile)
    assert [c.number for c in report.claims] == list(range(1, 13))
    for claim in report.claims:
        if claim.span is None:
            assert claim.article_sentence == "" and claim.anchor == "unlocated"
        else:
            assert claim.quote in claim.article_sentence


def test_failed_verdicts_keep_no_label(hostile):
    failed = [c for c in build(hostile).claims if c.machine.status == "error"]
    assert failed and all(c.machine.label is None and c.machine.error for c in failed)
    assert build(hostile).header.machine_totals.failed == len(failed)


def test_unjudged_claim_is_reported_as_such(hostile):
    last = build(hostile).claims[-1]
    assert last.machine.status == "not_judged" and last.machine.label is None and last.citations == []


def test_citation_numbers_are_shared_and_sources_listed_once(hostile):
    report = build(hostile)
    numbers = {}
    for claim in report.claims:
        for cite in claim.citations:
            assert numbers.setdefault(cite.source_id, cite.number) == cite.number
    assert [s.number for s in report.bibliography] == list(range(1, len(numbers) + 1))
    assert {s.source_id for s in report.bibliography} == set(numbers)
    assert not {s.source_id for s in report.other_sources} & set(numbers)
    first_use = [c.source_id for claim in report.claims for c in claim.citations]
    assert [s.source_id for s in report.bibliography] == list(dict.fromkeys(first_use))


def test_only_reviewed(hostile):
    report = build(hostile, only_reviewed=True)
    assert report.claims and {c.review.state for c in report.claims} == {"approved", "rejected"}
    assert report.header.claims_shown == len(report.claims) < report.header.claims_total == 12


def test_only_approved(hostile):
    report = build(hostile, only_approved=True)
    assert report.claims and {c.review.state for c in report.claims} == {"approved"}
    assert all(c.review.label == c.machine.label.value for c in report.claims)


def test_totals_cover_the_whole_run_whatever_is_shown(hostile):
    full, filtered = build(hostile).header, build(hostile, only_approved=True).header
    assert full.machine_totals == filtered.machine_totals and full.review_totals == filtered.review_totals
    assert full.completeness.reviewed == full.review_totals.approved + full.review_totals.rejected


def test_excluding_rejected_verdicts_keeps_the_correction_only(hostile):
    included, excluded = build(hostile), build(hostile, include_rejected=False)
    assert len(included.claims) == len(excluded.claims)
    for with_it, without in zip(included.claims, excluded.claims):
        if with_it.review.state == "rejected":
            assert without.machine.status == "omitted" and without.machine.label is None
            assert without.machine.rationale == "" and without.citations == []
            assert without.review.label == with_it.review.label
        else:
            assert without == with_it.model_copy(update={"citations": without.citations})
    cited = {c.source_id for claim in excluded.claims for c in claim.citations}
    assert {s.source_id for s in excluded.bibliography} == cited


def test_demo_grade_warning_from_the_run_summary(tmp_path):
    from verify.store import Store

    store = Store(tmp_path / "demo.db")
    run_id = synthetic_run(store, n_claims=3, hostile=False)
    assert not build_report(store, run_id).header.warning
    store.finish_run(run_id, "done", {"demo_grade_model": True})
    header = build_report(store, run_id).header
    assert header.demo_grade and "demo-grade" in header.warning
    for fmt in ("md", "html"):
        assert b"Demo-grade model" in render_report(store, run_id, fmt)


def test_demo_grade_warning_from_the_model_id(tmp_path):
    from verify.store import Store

    store = Store(tmp_path / "demo.db")
    run_id = synthetic_run(store, n_claims=3, hostile=False, model="local:gemma-3-270m-q4_k_m (bundled, demo-grade)")
    assert build_report(store, run_id).header.demo_grade


def test_render_report_options_and_errors(hostile):
    store, run_id = hostile
    document = json.loads(render_report(store, run_id, "json", only_approved=True, generated_at="2025-01-01T00:00:00+00:00"))
    assert document["options"]["only_approved"] is True
    assert document["header"]["generated_at"] == "2025-01-01T00:00:00+00:00"
    with pytest.raises(VerifyError, match="unknown report format"):
        render_report(store, run_id, "pdf")
    with pytest.raises(VerifyError, match="invalid report options"):
        render_report(store, run_id, "md", only_good_news=True)
    with pytest.raises(VerifyError, match="no run"):
        render_report(store, "r-missing", "md")
