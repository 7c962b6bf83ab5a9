"""Sentences with exact character offsets, and passages of whole sentences.

pysbd finds sentence boundaries (it knows abbreviations like "M." or "U.S." in many languages);
each sentence is then located in the original text so that offsets are exact.
"""

from __future__ import annotations

import re
from functools import lru_cache

PYSBD_LANGS = {"en", "fr", "de", "es", "it", "nl", "pl", "ru", "da", "el", "fa", "hi", "hy", "ja", "kk",
               "my", "ur", "zh", "ar", "am", "bg", "mr", "sk"}


@lru_cache(maxsize=16)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language if language in PYSBD_LANGS else "en", clean=False)


def split_sentences(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`; whitespace between sentences is skipped."""
    spans: list[tuple[int, int]] = []
    for paragraph_start, paragraph in _paragraphs(text):
        cursor = 0
        for piece in _segmenter(language).segment(paragraph):
            piece = piece.strip()
            if not piece:
                continue
            found = paragraph.find(piece, cursor)
            if found < 0:  # pysbd normalised something: fall back to the rest of the paragraph
                found = cursor
                piece = paragraph[cursor:].strip()
            start = paragraph_start + found
            spans.append((start, start + len(piece)))
            cursor = found + len(piece)
    return [s for s in spans if text[s[0]:s[1]].strip()]


def _paragraphs(text: str):
    """Blank-line separated blocks with their offsets; sentences never cross a paragraph."""
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", text):
        block = match.group(0)
        if block.strip():
            yield match.start(), block


def passages(text: str, language: str, target_chars: int = 700, max_sentences: int = 6):
    """Group consecutive sentences into passages of about `target_chars`, never splitting one.

    Yields lists of (start, end) sentence spans; a paragraph break closes a passage once it has
    reached half the target, so passages follow the document's structure.
    """
    sentences = split_sentences(text, language)
    current: list[tuple[int, int]] = []
    for span in sentences:
        if current:
            size = span[1] - current[0][0]
            paragraph_break = "\n\n" in text[current[-1][1]:span[0]]
            if size > target_chars or len(current) >= max_sentences or (
                paragraph_break and current[-1][1] - current[0][0] >= target_chars // 2
            ):
                yield current
                current = []
        current.append(span)
    if current:
        yield current
