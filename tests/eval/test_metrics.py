"""Metrics on tiny cases computed by hand."""

import pytest

from verify.evaluation import metrics

L3 = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")


def test_confusion_matrix_has_a_failed_column():
    gold = ["SUPPORTED", "SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]
    pred = ["SUPPORTED", None, "SUPPORTED", "NOT_ENOUGH_INFO"]
    assert metrics.confusion(gold, pred, L3).tolist() == [[1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]]


def test_accuracy_balanced_accuracy_and_macro_f1_by_hand():
    # gold: 4 S, 1 R, 1 N. predictions: S S S R | R | S
    gold = ["SUPPORTED"] * 4 + ["REFUTED", "NOT_ENOUGH_INFO"]
    pred = ["SUPPORTED", "SUPPORTED", "SUPPORTED", "REFUTED", "REFUTED", "SUPPORTED"]
    m = metrics.classification(gold, pred, L3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    # recalls: S 3/4, R 1/1, N 0/1
    assert m["balanced_accuracy"] == pytest.approx((0.75 + 1 + 0) / 3)
    # S: P 3/4 R 3/4 F1 .75 ; R: P 1/2 R 1 F1 2/3 ; N: 0
    assert m["per_label"]["REFUTED"]["precision"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx((0.75 + 2 / 3 + 0) / 3)


def test_failed_verdicts_count_against_accuracy_and_are_reported():
    m = metrics.classification(["REFUTED", "REFUTED"], ["REFUTED", None], L3)
    assert m["n"] == 2 and m["failed"] == 1
    assert m["accuracy"] == 0.5
    assert m["per_label"]["REFUTED"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}


def test_two_way_mapping():
    assert [metrics.to_two_way(x) for x in ("SUPPORTED", "NOT_ENOUGH_INFO", "REFUTED", None)] == [
        "NOT_REFUTED", "NOT_REFUTED", "REFUTED", None]


def test_balanced_accuracy_ignores_labels_absent_from_gold():
    m = metrics.classification(["REFUTED", "NOT_REFUTED"], ["REFUTED", "REFUTED"], ("REFUTED", "NOT_REFUTED"))
    assert m["balanced_accuracy"] == pytest.approx(0.5)
    m = metrics.classification(["SUPPORTED"], ["SUPPORTED"], L3)
    assert m["balanced_accuracy"] == 1.0 and m["macro_f1"] == pytest.approx(1 / 3)


def test_recall_at_k_counts_claims_with_any_gold_item_retrieved():
    ranks = [[1, None], [3], [None, 6, 2]]
    assert metrics.recall_at(ranks, 1) == pytest.approx(1 / 3)
    assert metrics.recall_at(ranks, 2) == pytest.approx(2 / 3)
    assert metrics.recall_at(ranks, 5) == 1.0


def test_item_recall_at_k_is_the_share_of_gold_items():
    ranks = [[1, None], [3], [None, 6, 2]]
    assert metrics.item_recall_at(ranks, 1) == pytest.approx((0.5 + 0 + 0) / 3)
    assert metrics.item_recall_at(ranks, 5) == pytest.approx((0.5 + 1 + 1 / 3) / 3)
    assert metrics.item_recall_at(ranks, 10) == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    assert metrics.retrieval([], (5,)) == {"claims_with_gold": 0, "recall@5": 0.0, "item_recall@5": 0.0}


def test_citation_metrics():
    m = metrics.citations(cited=4, gold_cited=1, valid=4, cited_with_gold=2)
    assert m == {"citations": 4, "citation_precision": 0.5, "citation_validity": 1.0}


def test_cost_uses_the_price_table_and_its_override(monkeypatch):
    assert metrics.estimated_cost("openai:gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert metrics.estimated_cost("local:gemma", 10, 10) is None
    monkeypatch.setenv("VERIFY_PRICES", '{"my-model": [1, 2]}')
    assert metrics.estimated_cost("my-model@http://127.0.0.1:8000/v1", 500_000, 250_000) == pytest.approx(1.0)
