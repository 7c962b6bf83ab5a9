"""bench/extraction.py's matching and figures, computed by hand (hash embedder, no model)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from verify.embed import build_embedder
from verify.memory import ClaimText

# Loaded by path: putting bench/ on sys.path would let bench/ui.py shadow the `ui` package.
_SPEC = importlib.util.spec_from_file_location(
    "bench_extraction", Path(__file__).resolve().parent.parent / "bench" / "extraction.py")
bench = sys.modules["bench_extraction"] = importlib.util.module_from_spec(_SPEC)  # dataclasses look it up
_SPEC.loader.exec_module(bench)
load_gold, match_matrix, metrics, uncovered = bench.load_gold, bench.match_matrix, bench.metrics, bench.uncovered


def test_metrics_by_hand():
    # 4 extracted claims x 3 gold claims: e0 and e1 both match g0, e2 matches g2, e3 nothing; g1 is missed.
    to_gold = [[True, False, False], [True, False, False], [False, False, True], [False, False, False]]
    among = [[True, True, False, False], [True, True, False, False], [False, False, True, False],
             [False, False, False, True]]
    m = metrics(to_gold, among, ["exact", "exact", "fuzzy", "unlocated"], n_gold=3)
    assert m.claims == 4
    assert m.recall == pytest.approx(2 / 3)
    assert m.precision == pytest.approx(3 / 4)
    assert m.exact == pytest.approx(0.5)
    assert m.dup_gold == 2  # e0 and e1 share g0
    assert m.dup_pairs == 1  # (e0, e1); the diagonal is not a pair
    assert m.missed == [1]


def test_metrics_of_nothing_extracted():
    m = metrics([], [], [], n_gold=20)
    assert (m.claims, m.recall, m.precision, m.exact, m.dup_gold, m.dup_pairs) == (0, 0.0, 0.0, 0.0, 0, 0)
    assert m.missed == list(range(20))


def test_match_matrix_uses_the_memory_matcher():
    """Same words match; near-identical words with another figure do not (the lexical check); unrelated
    words do not. The hash embedder rates "trois ans" / "deux ans" 5/6 alike, above the threshold."""
    fr = lambda text: ClaimText(text, text, "fr")
    gold = [fr("Witkoff a rencontré Poutine à Moscou jeudi"), fr("Le conflit dure depuis trois ans")]
    extracted = [fr("Witkoff a rencontré Poutine à Moscou jeudi"), fr("Le conflit dure depuis deux ans"),
                 fr("La BCE baisse ses taux")]
    assert match_matrix(build_embedder("hash"), extracted, gold) == [[True, False], [False, False], [False, False]]
    assert match_matrix(build_embedder("hash"), [], gold) == []


def test_uncovered_sentences_in_article_order():
    text = "Trump a parlé vendredi. Poutine a répondu jeudi. Le Kremlin est prudent."
    second = text.index("Poutine")
    assert uncovered(text, "fr", [(second, second + 10)]) == ["Trump a parlé vendredi.", "Le Kremlin est prudent."]


def test_gold_is_the_twenty_claims_of_the_real_article():
    gold = load_gold()
    assert [i for i, _ in gold] == [f"seed:{n:03d}" for n in range(1, 21)]
    assert all(g.text_en and g.text_en != g.text for _, g in gold)


def test_covered_means_overlapping_spans():
    # touching at a border is not overlapping; one character inside is
    assert bench.covered([(0, 10), (10, 20), (30, 40)], [(5, 10), (39, 50)]) == [True, False, True]
    assert bench.covered([(0, 10)], []) == [False]


def test_gold_sentence_is_the_article_sentence_sharing_most_words():
    text = "Witkoff a rencontré Poutine à Moscou jeudi. Le conflit dure depuis trois ans."
    gold = [ClaimText("Le conflit dure depuis trois ans", "", "fr"),
            ClaimText("Witkoff a rencontré Poutine", "", "fr")]
    second = text.index("Le conflit")
    assert bench.gold_sentences(text, "fr", gold) == [(second, len(text)), (0, second - 1)]
