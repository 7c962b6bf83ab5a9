"""Figures, dates and names that differ between a claim and one evidence sentence, with their positions.

The review card marks them ("claim: un demi-point · sentence: a quarter of a percentage point") so a
reviewer sees at a glance why a cited sentence may not say what the claim says. Deterministic surface
comparison only (no model): numbers in digits or words, English and French ("0,5", "5 000",
"un demi-point", "half a point", "deux millions"), dates ("12 mars 2025", "March 12", "2025-03-12",
years), and capitalised names.

verify/mismatch.py (the offline stance judge's features, issue 12) answers a different question — a
feature vector for a calibrator — and keeps no positions; this module is for people and keeps them.
"""

from __future__ import annotations

import math
import re
from typing import Literal, NamedTuple

from pydantic import BaseModel

from .mismatch import stem_in

Kind = Literal["number", "date", "name"]

# --- numbers ------------------------------------------------------------------------------------------

SCALES = {"thousand": 1e3, "mille": 1e3, "million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9,
          "billion": 1e9, "billions": 1e9, "bn": 1e9}
WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "dozen": 12, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "onze": 11, "douze": 12, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "cent": 100,
    "douzaine": 12,
}
# Fractions said in words, longest first: "trois quarts" before "quart". "un"/"a"/"one" alone are
# articles far more often than numbers, so they only count inside these phrases.
FRACTIONS = [
    (r"trois[- ]quarts?|three[- ]quarters?", 0.75),
    (r"(?:un|une|a|one)\s+demi|demie?|half|moiti[ée]", 0.5),
    (r"(?:un|a|one)\s+quart|quart|a\s+quarter|quarter", 0.25),
    (r"(?:un|a|one)\s+tiers|tiers|a\s+third", 1 / 3),
]
_SEP = "[\u00a0\u202f ]"  # plain, no-break and narrow no-break spaces group thousands in French
_DIGITS = rf"\d{{1,3}}(?:(?:{_SEP}|[.,])\d{{3}})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?"
_SCALE = r"(?:\s*(?:thousand|mille|millions?|milliards?|billions?|bn)\b)?"
_NUMBER = re.compile(
    rf"\b(?P<fraction>{'|'.join(f'(?:{p})' for p, _ in FRACTIONS)})(?![^\W\d_])(?:-points?)?"
    rf"|(?<![\w.,])(?P<digits>{_DIGITS}){_SCALE}"
    rf"|\b(?P<words>{'|'.join(WORD_NUMBERS)})\b{_SCALE}",
    re.IGNORECASE)


class Found(NamedTuple):
    start: int
    end: int
    text: str
    value: float | tuple  # a number, or (day, month, year) for a date


def _digits_value(raw: str) -> float:
    """'5 000' / '5,000' / '5.000' -> 5000; '0,5' / '0.5' -> 0.5. A group of three digits after a
    separator is thousands unless the number starts with 0 ('0,500' is a half)."""
    compact = re.sub(_SEP, "", raw)
    if re.fullmatch(r"[1-9]\d{0,2}(?:[.,]\d{3})+", compact):
        return float(re.sub(r"[.,]", "", compact))
    if re.fullmatch(r"[1-9]\d{0,2}(?:,\d{3})+\.\d+", compact):  # 1,234.5
        return float(compact.replace(",", ""))
    if re.fullmatch(r"[1-9]\d{0,2}(?:\.\d{3})+,\d+", compact):  # 1.234,5
        return float(compact.replace(".", "").replace(",", "."))
    return float(compact.replace(",", "."))


def _scale(tail: str) -> float:
    """The multiplier a scale word after a number gives: ' millions' -> 1e6, '' -> 1."""
    return SCALES.get(tail.strip().lower(), 1.0)


def _fraction_value(text: str) -> float:
    return next(value for pattern, value in FRACTIONS if re.fullmatch(pattern, text, re.IGNORECASE))


def numbers(text: str, skip: list[tuple[int, int]] = ()) -> list[Found]:
    """Every figure of `text` with its position and value, outside the `skip` ranges (dates)."""
    found = []
    for m in _NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in skip):
            continue
        if m.group("digits"):
            value = _digits_value(m.group("digits")) * _scale(m.group(0)[len(m.group("digits")):])
        elif m.group("words"):
            value = WORD_NUMBERS[m.group("words").lower()] * _scale(m.group(0)[len(m.group("words")):])
        else:
            value = _fraction_value(m.group("fraction"))
        found.append(Found(m.start(), m.end(), m.group(0), value))
    return found


def _same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


# --- dates --------------------------------------------------------------------------------------------

MONTHS = {name: n for n, names in enumerate([
    "january janvier jan", "february février fevrier feb", "march mars mar", "april avril apr", "may mai",
    "june juin jun", "july juillet jul", "august août aout aug", "september septembre sep sept",
    "october octobre oct", "november novembre nov", "december décembre decembre dec"], start=1)
    for name in names.split()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
_DATE = re.compile(
    rf"\b(?P<iy>{_YEAR})-(?P<im>\d\d)-(?P<id>\d\d)\b"
    rf"|\b(?P<sd>\d{{1,2}})/(?P<sm>\d{{1,2}})/(?P<sy>{_YEAR})\b"
    rf"|\b(?P<dd>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<dm>{_MONTH})\.?(?:,?\s+(?P<dy>{_YEAR}))?\b"
    rf"|\b(?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<my>{_YEAR}))?\b"
    rf"|\b(?P<om>{_MONTH})(?:\s+(?P<oy>{_YEAR}))?\b"
    rf"|(?<![\d.,])(?P<y>{_YEAR})(?![\d.,]\d)",
    re.IGNORECASE)
# Short month names that are ordinary words too ("may", "mar", "jan"): a month only beside a day or year.
_AMBIGUOUS_MONTHS = {"may", "mai", "mar", "jan", "dec", "sep", "oct", "nov", "aug", "jun", "jul", "apr", "feb"}


def dates(text: str) -> list[Found]:
    """Every date of `text` as (day, month, year), each part None when not said."""
    found = []
    for m in _DATE.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v}
        if "om" in g and "oy" not in g and g["om"].lower() in _AMBIGUOUS_MONTHS:
            continue
        day = next((int(g[k]) for k in ("id", "sd", "dd", "md") if k in g), None)
        month_raw = next((g[k] for k in ("im", "sm", "dm", "mm", "om") if k in g), None)
        month = (int(month_raw) if month_raw.isdigit() else MONTHS[month_raw.lower()]) if month_raw else None
        year = next((int(g[k]) for k in ("iy", "sy", "dy", "my", "oy", "y") if k in g), None)
        found.append(Found(m.start(), m.end(), m.group(0), (day, month, year)))
    return found


def _dates_agree(a: tuple, b: tuple) -> bool:
    """Two dates agree when every part both of them say is the same ("March" agrees with "12 March 2025")."""
    shared = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    return bool(shared) and all(x == y for x, y in shared)


# --- names --------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;«“\"(]\s*)$")
NOT_NAMES = set("""A An The In On At Of For And But Or If As By To From With This That These Those It Its
Le La Les L Un Une Des Du De D Et Ou En Au Aux Il Elle Ils Elles Ce Cette Ces Selon Mais Pour Par Dans Sur
Lundi Mardi Mercredi Jeudi Vendredi Samedi Dimanche Monday Tuesday Wednesday Thursday Friday Saturday Sunday
""".split()) | {m.capitalize() for m in MONTHS}


def names(text: str) -> list[Found]:
    """Capitalised words not at a sentence start (and not months, weekdays or articles)."""
    found = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not word[0].isupper() or len(word) < 2 or word in NOT_NAMES:
            continue
        if _SENTENCE_START.search(text[:m.start()]):
            continue
        found.append(Found(m.start(), m.end(), word, word.lower()))
    return found


def _mentions(word: str, text: str) -> bool:
    """'Ukrainian' is mentioned by 'Ukraine', 'Russie' by 'Russia': a shared 5-letter start, or the word."""
    return stem_in(word, {v.lower() for v in _WORD.findall(text)})  # the offline judge's rule (mismatch.py)


# --- the comparison -----------------------------------------------------------------------------------


class Difference(BaseModel):
    """One thing the claim says that the sentence says otherwise (or not at all)."""

    kind: Kind
    claim: str  # the claim's words, e.g. "un demi-point"
    sentence: str  # the sentence's differing words, "" when it says nothing of the kind
    detail: str  # one line for the reviewer
    claim_spans: list[tuple[int, int]]  # where to mark the claim
    sentence_spans: list[tuple[int, int]]  # where to mark the sentence


def differences(claim: str, sentence: str) -> list[Difference]:
    """Figures, dates and names of the claim that the sentence states differently; a figure or date the
    sentence does not give at all is said too (the sentence may not be about the claim's event)."""
    claim_dates, sentence_dates = dates(claim), dates(sentence)
    found = _differing(
        "date", claim_dates, sentence_dates, _dates_agree, "date")
    claim_numbers = numbers(claim, [(d.start, d.end) for d in claim_dates])
    sentence_numbers = numbers(sentence, [(d.start, d.end) for d in sentence_dates])
    found += _differing("number", claim_numbers, sentence_numbers, _same_number, "figure")
    found += _missing_names(claim, sentence)
    return found


def _differing(kind: Kind, ours: list[Found], theirs: list[Found], same, noun: str) -> list[Difference]:
    out = []
    unmatched_theirs = [t for t in theirs if not any(same(o.value, t.value) for o in ours)]
    for item in ours:
        if any(same(item.value, t.value) for t in theirs):
            continue
        if unmatched_theirs:
            said = ", ".join(f"“{t.text}”" for t in unmatched_theirs)
            detail = f"claim says “{item.text}”, the sentence says {said}"
        else:
            detail = f"claim says “{item.text}”; the sentence gives no {noun}" + (" matching it" if theirs else "")
        out.append(Difference(kind=kind, claim=item.text, sentence=", ".join(t.text for t in unmatched_theirs),
                              detail=detail, claim_spans=[(item.start, item.end)],
                              sentence_spans=[(t.start, t.end) for t in unmatched_theirs]))
    return out


def _missing_names(claim: str, sentence: str) -> list[Difference]:
    """One line for every name of the claim the sentence does not mention (a long list of lines for a
    sentence about something else would bury the figures and dates)."""
    missing = [n for n in names(claim) if not _mentions(n.text, sentence)]
    if not missing:
        return []
    missing_names = list(dict.fromkeys(n.text for n in missing))
    other_names = list(dict.fromkeys(o.text for o in names(sentence) if not _mentions(o.text, claim)))
    said = f"; it names {', '.join(other_names[:4])}" if other_names else ""
    # The sentence's other names are listed, not marked: a sentence names many people and places, and
    # marking them all would bury the marks that matter (figures and dates).
    return [Difference(kind="name", claim=", ".join(missing_names), sentence=", ".join(other_names),
                       detail=f"the sentence does not mention {', '.join(missing_names)}{said}",
                       claim_spans=[(n.start, n.end) for n in missing], sentence_spans=[])]
