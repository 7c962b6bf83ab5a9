"""Claim extraction: the LLM lists claims with a verbatim quote; the program anchors each quote.

Long articles are read in overlapping windows of whole paragraphs, and claims found twice in the
overlap are merged. A quote that is not found verbatim is re-anchored by fuzzy match; if that also
fails the claim is kept but flagged `unlocated`, never silently given a made-up span.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Literal

from pydantic import ConfigDict, Field, create_model
from rapidfuzz import fuzz

from .delimiters import neutralise
from .errors import LLMCallError, LLMOutputError
from .structured import StructuredLLM
from .models import Article, Claim, ExtractedClaim, ExtractionOutput, Span, Strict, Usage
from .prompts import Prompt
from .proposals import model_proposal
from .text import PARAGRAPH, split_sentences

FUZZY_THRESHOLD = 85.0
MAX_CLAIMS_PER_WINDOW = 12


@dataclass
class Window:
    start: int
    text: str


@dataclass
class ExtractionResult:
    claims: list[Claim]
    usage: Usage
    failures: list[str]  # one line per window whose extraction failed (kept, never hidden)


def windows(text: str, size: int, overlap: int) -> list[Window]:
    """Windows of whole paragraphs of at most ~size chars; the next window starts on the trailing
    paragraphs of the previous one that fit within `overlap` chars, so a claim cut by a border is
    seen whole at least once."""
    paragraphs = [(m.start(), m.end()) for m in PARAGRAPH.finditer(text)]
    if len(text) <= size or len(paragraphs) < 2:
        return [Window(0, text)]
    result: list[Window] = []
    i = 0
    while True:
        j = i
        while j + 1 < len(paragraphs) and paragraphs[j + 1][1] - paragraphs[i][0] <= size:
            j += 1
        start, end = paragraphs[i][0], paragraphs[j][1]
        result.append(Window(start, text[start:end]))
        if j == len(paragraphs) - 1:
            return result
        k = j + 1
        while k - 1 > i and end - paragraphs[k - 1][0] <= overlap:
            k -= 1
        i = k


def anchor(quote: str, article: str, window: Window) -> tuple[Span | None, str, float]:
    """Locate a quote: exact in the window, exact anywhere, then fuzzy in the window."""
    quote = quote.strip()
    if not quote:
        return None, "unlocated", 0.0
    local = window.text.find(quote)
    if local >= 0:
        start = window.start + local
        return Span(start=start, end=start + len(quote)), "exact", 100.0
    anywhere = article.find(quote)
    if anywhere >= 0:
        return Span(start=anywhere, end=anywhere + len(quote)), "exact", 100.0
    if len(quote) < 12:
        return None, "unlocated", 0.0
    match = fuzz.partial_ratio_alignment(quote, window.text, score_cutoff=FUZZY_THRESHOLD)
    if match is None or match.dest_end <= match.dest_start:
        return None, "unlocated", 0.0
    start, end = _trim(window.text, match.dest_start, match.dest_end)
    return Span(start=window.start + start, end=window.start + end), "fuzzy", round(match.score, 1)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def is_duplicate(a: Claim, b: Claim) -> bool:
    same_text = fuzz.token_set_ratio(a.text, b.text) >= 90
    if a.span and b.span:
        overlap = min(a.span.end, b.span.end) - max(a.span.start, b.span.start)
        shorter = min(a.span.end - a.span.start, b.span.end - b.span.start)
        return same_text or (overlap > 0.8 * shorter and fuzz.token_set_ratio(a.text_en, b.text_en) >= 80)
    return same_text


def _every_key_required(schema: dict) -> None:
    """Strict JSON-schema backends need every key listed as required (null allowed); the parser still
    accepts a reply without them (an older prompt's shape), read as not given."""
    schema["required"] = list(schema.get("properties", {}))
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class ProposingClaim(ExtractedClaim):
    """An extracted claim with who made it and when, as the article says (prompt extract_claims/v2)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_every_key_required)
    claimant: str | None = Field(None, description="The person or organization the article names as making the "
                                 "statement; null if the article does not say.")
    claim_date: str | None = Field(None, description="The date the article gives for the statement, YYYY-MM-DD; "
                                   "null if the article gives none.")


class ProposingOutput(Strict):
    claims: list[ProposingClaim]


def extraction_schema(prompt: Prompt) -> type[Strict]:
    """extract_claims/v1 asks for quote and claim only; later versions also for claimant and date."""
    return ExtractionOutput if prompt.ref.version == "v1" else ProposingOutput


def extract_abstractive(article: Article, llm: StructuredLLM, prompt: Prompt, run_id: str,
                        window_chars: int = 4000, overlap: int = 600) -> ExtractionResult:
    """Abstractive extraction: the model writes atomic claims and quotes the article."""
    found: list[tuple[ExtractedClaim, Window]] = []
    usage = Usage()
    failures: list[str] = []
    for window in windows(article.text, window_chars, overlap):
        _, user = prompt.render(language=article.language, title=_quoted(article.title), text=_quoted(window.text),
                                max_claims=str(MAX_CLAIMS_PER_WINDOW))
        try:
            result = llm.generate(prompt, user, extraction_schema(prompt), purpose="extract", run_id=run_id)
        except (LLMOutputError, LLMCallError) as exc:
            failures.append(f"window at char {window.start}: {exc}")
            usage = usage + (exc.usage or Usage())
            continue
        usage = usage + result.usage
        found.extend((item, window) for item in result.value.claims)
    claims: list[Claim] = []
    for item, window in found:
        if not item.claim.strip():
            continue
        span, kind, score = anchor(item.quote, article.text, window)
        candidate = Claim(
            id="", run_id=run_id, article_id=article.id, index=0, text=item.claim.strip(),
            text_en=item.claim_en.strip() or item.claim.strip(), quote=item.quote, span=span, anchor=kind,
            anchor_score=score, proposal=_proposal_of(item, llm.model_id),
        )
        candidate.check_span(article.text)
        if not any(is_duplicate(candidate, kept) for kept in claims):
            claims.append(candidate)
    return ExtractionResult(claims=number_claims(claims, article, run_id), usage=usage, failures=failures)


def _proposal_of(item: ExtractedClaim, model_id: str):
    """The model's claimant and date, when the prompt asked for them (None: it did not, or said nothing)."""
    if not isinstance(item, ProposingClaim):
        return None
    proposal = model_proposal(item.claimant, item.claim_date, model_id)
    return proposal if proposal.claimant or proposal.claim_date else None


def number_claims(claims: list[Claim], article: Article, run_id: str) -> list[Claim]:
    """Article order, then ids that say where a claim sits in its run."""
    claims = sorted(claims, key=lambda c: (c.span.start if c.span else len(article.text), c.text))
    return [c.model_copy(update={"index": i, "id": f"{run_id}-c{i:03d}"}) for i, c in enumerate(claims)]


def merge_claims(kept: list[Claim], found: list[Claim], run_id: str) -> list[Claim]:
    """The claims of a repeated extraction (a resumed run) that are not already stored. Stored claims
    keep their ids, since verdicts and review decisions point at them; new ones are numbered after."""
    new = [claim for claim in found if not any(is_duplicate(claim, old) for old in kept)]
    start = max((claim.index for claim in kept), default=-1) + 1
    return [c.model_copy(update={"index": start + i, "id": f"{run_id}-c{start + i:03d}"}) for i, c in enumerate(new)]


def selection_schema(sentence_ids: list[str]) -> type[Strict]:
    ids = (list[Literal[tuple(sentence_ids)]], ...) if sentence_ids else (list[str], Field(max_length=0))  # type: ignore[valid-type]
    return create_model("SentenceSelection", __base__=Strict, sentence_ids=ids)


def extract_extractive(article: Article, llm: StructuredLLM, prompt: Prompt, run_id: str,
                       window_chars: int = 4000, overlap: int = 600) -> ExtractionResult:
    """Extractive extraction, for weak models: the model picks check-worthy sentences by id (an enum
    in the schema), and each chosen sentence becomes a claim anchored exactly on its own span. The
    claim is not translated (`text_en` repeats it); the multilingual embedder bridges languages."""
    usage = Usage()
    failures: list[str] = []
    chosen: dict[tuple[int, int], None] = {}
    for window in windows(article.text, window_chars, overlap):
        spans = [(window.start + s, window.start + e) for s, e in split_sentences(window.text, article.language)]
        ids = {f"S{i}": span for i, span in enumerate(spans, start=1)}
        numbered = "\n".join(f"{sid}: {' '.join(article.text[s:e].split())}" for sid, (s, e) in ids.items())
        _, user = prompt.render(language=article.language, title=_quoted(article.title), numbered=_quoted(numbered))
        try:
            result = llm.generate(prompt, user, selection_schema(list(ids)), purpose="extract", run_id=run_id)
        except (LLMOutputError, LLMCallError) as exc:
            failures.append(f"window at char {window.start}: {exc}")
            usage = usage + (exc.usage or Usage())
            continue
        usage = usage + result.usage
        chosen.update((ids[sid], None) for sid in result.value.sentence_ids)
    claims = [
        Claim(id="", run_id=run_id, article_id=article.id, index=0, text=article.text[s:e], text_en=article.text[s:e],
              quote=article.text[s:e], span=Span(start=s, end=e), anchor="exact")
        for s, e in chosen
    ]
    return ExtractionResult(claims=number_claims(claims, article, run_id), usage=usage, failures=failures)


def _quoted(text: str) -> str:
    """The article is quoted data: it cannot close our <article> delimiter early (prompt injection)."""
    return neutralise(text)  # any case, spacing or lookalike bracket (verify/delimiters.py)
