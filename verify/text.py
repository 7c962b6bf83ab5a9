"""Sentences with exact character offsets, and passages of whole sentences.

pysbd finds sentence boundaries (it knows abbreviations like "M." or "U.S." in many languages);
each sentence is then located in the original text so that offsets are exact.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

PYSBD_LANGS = {"en", "fr", "de", "es", "it", "nl", "pl", "ru", "da", "el", "fa", "hi", "hy", "ja", "kk",
               "my", "ur", "zh", "ar", "am", "bg", "mr", "sk"}

# pysbd's time grows with the square of its input (200 KB in one block: 24 s; 1 MB: over 10 minutes), so a
# long block is read in windows of this many characters: linear in the block, and far longer than sentences.
WINDOW_CHARS = 4000


@lru_cache(maxsize=16)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language if language in PYSBD_LANGS else "en", clean=False)


def split_sentences(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`; whitespace between sentences is skipped."""
    spans = [(start + s, start + e) for start, block in paragraphs(text) for s, e in _block_sentences(block, language)]
    return [s for s in spans if text[s[0]:s[1]].strip()]


def _block_sentences(block: str, language: str, window: int = WINDOW_CHARS) -> Iterator[tuple[int, int]]:
    """Sentence spans of one block, read `window` characters at a time.

    The last sentence pysbd finds in a window may be cut short by the window's end, so it is not kept:
    the next window starts at it. A single sentence longer than a window is cut at its last space.
    """
    offset = 0
    while offset < len(block):
        end = offset + window
        spans = _pysbd_spans(block[offset:end], language)
        if end >= len(block):
            yield from ((offset + s, offset + e) for s, e in spans)
            return
        if len(spans) > 1:
            yield from ((offset + s, offset + e) for s, e in spans[:-1])
            offset += spans[-1][0]
        elif spans:
            start = offset + spans[0][0]
            cut = _cut_point(block, start, end)
            yield start, start + len(block[start:cut].rstrip())
            offset = cut
        else:  # a window of whitespace only
            offset = end


def _cut_point(block: str, start: int, end: int) -> int:
    """Where to cut an over-long sentence: after its last space before `end`, else at `end`."""
    space = max(block.rfind(" ", start + 1, end), block.rfind("\n", start + 1, end))
    return space + 1 if space > start else end


def _pysbd_spans(chunk: str, language: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence pysbd finds in `chunk`, located exactly in it."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _segmenter(language).segment(chunk):
        piece = piece.strip()
        if not piece:
            continue
        found = chunk.find(piece, cursor)
        if found < 0:  # pysbd normalised something: fall back to the rest of the chunk
            rest = chunk[cursor:]
            found, piece = cursor + len(rest) - len(rest.lstrip()), rest.strip()
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    return _join_title_fragments(chunk, spans)


# A title cut off by the splitter ('"M.' before "Poutine a déclaré...": pysbd does so after an opening
# quote): it is the start of the next sentence, never a sentence of its own.
TITLE_FRAGMENT = re.compile(r"^\W*(?:M|MM|Mme|Mmes|Mlle|Mlles|Me|Mgr|Dr|Pr|Prof|St|Ste|Mr|Mrs|Ms|Sr|Jr|Gen|Gén|Sen|"
                            r"Rep|Gov|Col|Lt|Sgt|Capt|Dott|Sig|Sra|Hr|Fr)\.$")


def _join_title_fragments(chunk: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and TITLE_FRAGMENT.match(chunk[joined[-1][0]:joined[-1][1]]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


# A paragraph: lines up to a blank (or whitespace-only) line. The one definition for sentences, passages
# and extraction windows.
PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """Blank-line separated blocks with their offsets; sentences never cross a paragraph."""
    for match in PARAGRAPH.finditer(text):
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
