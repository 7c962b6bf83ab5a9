"""Deterministic differences between a claim and an evidence sentence: numbers, dates, names, negation.

Small models read "2014" and "2016" as the same thing; these checks do not. They are features for
the calibrated stance judge and, later, flags a reviewer sees on the card ("claim says 5,000, the
sentence says 500"). They compare surface forms only, so they are cheap and never call a model.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

MONTHS = ("january february march april may june july august september october november december "
          "janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()
NEGATIONS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot",
             "ne", "pas", "jamais", "aucun", "aucune", "non", "nessuno"}
STOPWORDS = set("""a an the of in on at to for from by with and or but is are was were be been being has have
had do does did it its this that these those as into over under about than then there their his her he she
they them we you i who whom which what when where why how also after before during between while le la les
un une des du de et ou en au aux est sont été il elle ils elles qui que dans sur pour par avec
il lo gli di da del della e o che nel nella per con su""".split())

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?(?![\w])")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


class Mismatch(BaseModel):
    kind: str      # "number", "year", "month", "name", "negation"
    claim: str     # what the claim says
    detail: str    # one line a reviewer can read


def numbers(text: str) -> set[str]:
    """Numbers normalised to digits: '5,000' and '5 000' -> '5000'; '3.5' and '3,5' -> '3.5'."""
    found = set()
    for raw in _NUMBER.findall(text):
        compact = re.sub(r"[\s]", "", raw)
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", compact):   # thousands separators
            compact = re.sub(r"[.,]", "", compact)
        found.add(compact.replace(",", "."))
    return found


def _is_year(n: str) -> bool:
    return n.isdigit() and len(n) == 4 and 1000 <= int(n) <= 2100


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_words(text: str) -> set[str]:
    return {w.lower() for w in words(text) if w.lower() not in STOPWORDS and len(w) > 1}


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of the text and not stopwords."""
    tokens = words(text)
    return {w for w in tokens[1:] if w[0].isupper() and w.lower() not in STOPWORDS and len(w) > 1}


def stem_in(word: str, vocabulary: set[str]) -> bool:
    """'Ukrainian' matches 'ukraine', 'Russia' matches 'russian': a shared 5-letter prefix."""
    w = word.lower()
    return w in vocabulary or any(len(v) >= 5 and len(w) >= 5 and v[:5] == w[:5] for v in vocabulary)


def mismatches(claim: str, sentence: str) -> list[Mismatch]:
    """What the claim states that the sentence states differently or not at all."""
    found: list[Mismatch] = []
    claim_nums, sent_nums = numbers(claim), numbers(sentence)
    for n in sorted(claim_nums - sent_nums):
        kind = "year" if _is_year(n) else "number"
        others = sorted(m for m in sent_nums if _is_year(m) == (kind == "year"))
        detail = f"claim says {n}, the sentence says {', '.join(others)}" if others else f"claim says {n}, the sentence gives no {kind}"
        found.append(Mismatch(kind=kind, claim=n, detail=detail))
    sent_lower = sentence.lower()
    for month in MONTHS:
        if re.search(rf"\b{month}\b", claim.lower()) and not re.search(rf"\b{month}\b", sent_lower):
            others = [m for m in MONTHS if re.search(rf"\b{m}\b", sent_lower)]
            if others:
                found.append(Mismatch(kind="month", claim=month, detail=f"claim says {month}, the sentence says {', '.join(others)}"))
    sent_vocab = {w.lower() for w in words(sentence)}
    for name in sorted(names(claim)):
        if not stem_in(name, sent_vocab):
            found.append(Mismatch(kind="name", claim=name, detail=f"the sentence does not mention {name}"))
    claim_neg, sent_neg = _negations(claim), _negations(sentence)
    if bool(claim_neg) != bool(sent_neg):
        which = f"the claim says {sorted(claim_neg)[0]!r}" if claim_neg else f"the sentence says {sorted(sent_neg)[0]!r}"
        found.append(Mismatch(kind="negation", claim=", ".join(sorted(claim_neg)), detail=f"negation differs: {which}"))
    return found


def _negations(text: str) -> set[str]:
    lowered = {w.lower() for w in words(text)}
    return (lowered & NEGATIONS) | {w for w in lowered if w.endswith(("n't", "n’t"))}


def overlap(claim: str, sentence: str) -> float:
    """Share of the claim's content words found in the sentence (prefix-matched), 0..1."""
    claim_words = content_words(claim)
    if not claim_words:
        return 0.0
    vocab = content_words(sentence)
    return sum(stem_in(w, vocab) for w in claim_words) / len(claim_words)
