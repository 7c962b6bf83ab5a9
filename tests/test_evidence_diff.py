"""verify/evidence_diff.py: the figures, dates and names the review card marks between claim and sentence."""

from __future__ import annotations

import pytest

from verify.evidence_diff import dates, differences, names, numbers


@pytest.mark.parametrize("text, value", [
    ("0,5", 0.5), ("0.5", 0.5), ("5 000", 5000), ("5\u202f000", 5000), ("5,000", 5000), ("1.234,5", 1234.5),
    ("1,234.5", 1234.5), ("un demi-point", 0.5), ("half", 0.5), ("la moitié", 0.5), ("a quarter", 0.25),
    ("trois quarts", 0.75), ("deux millions", 2e6), ("7 milliards", 7e9), ("twelve", 12),
])
def test_numbers_in_digits_and_words_english_and_french(text, value):
    assert [f.value for f in numbers(text)] == [pytest.approx(value)]


def test_articles_alone_are_not_numbers():
    assert numbers("Un soldat a vu une maison; a man saw one house.") == []


@pytest.mark.parametrize("text, value", [
    ("le 12 mars 2025", (12, 3, 2025)), ("on March 14, 2025", (14, 3, 2025)), ("2025-03-12", (12, 3, 2025)),
    ("12/03/2025", (12, 3, 2025)), ("le 1er mars", (1, 3, None)), ("en mai 2024", (None, 5, 2024)),
    ("in 2019", (None, None, 2019)),
])
def test_dates(text, value):
    assert [d.value for d in dates(text)] == [value]


def test_may_alone_is_not_a_month():
    assert dates("They may agree.") == []


def test_a_half_point_against_a_quarter_point_is_marked_in_both_texts():
    claim = "La BCE a baissé ses taux d'un demi-point."
    sentence = "The ECB cut rates by a quarter of a percentage point."
    diff, name = differences(claim, sentence)
    assert (diff.kind, name.detail) == ("number", "the sentence does not mention BCE; it names ECB")
    assert diff.detail == "claim says “un demi-point”, the sentence says “a quarter”"
    assert [claim[s:e] for s, e in diff.claim_spans] == ["un demi-point"]
    assert [sentence[s:e] for s, e in diff.sentence_spans] == ["a quarter"]


def test_the_same_figure_in_another_form_is_no_difference():
    assert differences("Le taux a baissé de 0,5 point.", "The rate fell by half a point.") == []
    assert differences("5 000 soldats le 2025-03-12.", "About 5,000 soldiers on 12/03/2025.") == []
    assert differences("Deux millions de personnes", "2 million people") == []


def test_a_differing_day_and_a_missing_name():
    claim = "Steve Witkoff met Putin in Moscow on 12 March 2025."
    sentence = "Witkoff met Vladimir Putin in Saint Petersburg on March 14, 2025."
    found = {d.kind: d for d in differences(claim, sentence)}
    assert set(found) == {"date", "name"}
    assert found["date"].detail == "claim says “12 March 2025”, the sentence says “March 14, 2025”"
    assert found["name"].claim == "Moscow"
    assert "Petersburg" in found["name"].sentence


def test_a_figure_the_sentence_does_not_give_is_said():
    [diff] = differences("The tower is 330 metres tall.", "The tower is very tall.")
    assert diff.detail == "claim says “330”; the sentence gives no figure"
    assert diff.sentence_spans == []


def test_names_skip_sentence_starts_months_and_stem_variants():
    assert [n.text for n in names("Selon Reuters, le 3 Mars, Paris. Kyiv a dit")] == ["Reuters", "Paris"]
    assert differences("Ukrainian troops left Kursk.", "Troops from Ukraine left the Kursk region.") == []
