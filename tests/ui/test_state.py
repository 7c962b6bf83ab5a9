"""Pure helpers behind the filters and the "next unreviewed claim" flow."""

from ui.state import Row, current_label, matches, next_unreviewed
from verify.review import Decision


def row(machine="SUPPORTED", confidence=0.8, state="unreviewed") -> Row:
    return Row("c1", 1, machine, confidence, state, machine)


def test_next_unreviewed_wraps_around_and_skips_the_current_claim():
    states = {"a": "unreviewed", "b": "approved", "c": "unreviewed"}
    assert next_unreviewed(["a", "b", "c"], "c", states) == "a"
    assert next_unreviewed(["a", "b", "c"], "a", states) == "c"
    assert next_unreviewed(["a", "b"], "a", states) is None


def test_a_failed_verdict_counts_as_below_every_confidence_threshold():
    assert matches(row("FAILED", None), [], [], below=0.1)
    assert not matches(row(confidence=0.9), [], [], below=0.5)
    assert matches(row(confidence=0.3), ["SUPPORTED"], ["unreviewed"], below=0.5)
    assert not matches(row(), ["REFUTED"], [], None)


def test_current_label_is_the_reviewers_once_reviewed():
    assert current_label("REFUTED", Decision(claim_id="c")) == "REFUTED"
    assert current_label("REFUTED", Decision(claim_id="c", state="rejected", label="SUPPORTED")) == "SUPPORTED"
    assert current_label("REFUTED", Decision(claim_id="c", state="needs_evidence")) == "NEEDS_EVIDENCE"
