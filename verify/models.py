"""Pydantic contracts between the stages.

Two families live here: what the program stores (ids, offsets, timestamps it computed itself) and,
at the bottom, what an LLM is asked to return. A model is never asked for ids, offsets or times it
cannot know; the program fills those in and checks them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Label(str, Enum):
    SUPPORTED = "SUPPORTED"
    REFUTED = "REFUTED"
    NOT_ENOUGH_INFO = "NOT_ENOUGH_INFO"


class Article(Strict):
    id: str
    title: str
    language: str
    text: str
    source: str  # path or URL it was read from

    @classmethod
    def from_text(cls, text: str, title: str, language: str, source: str) -> "Article":
        return cls(id=content_hash(text), title=title, language=language, text=text, source=source)


class Span(Strict):
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Span":
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be after start {self.start}")
        return self


AnchorKind = Literal["exact", "fuzzy", "unlocated"]


class ClaimProposal(Strict):
    """Publication details proposed at extraction (verify/proposals.py): never published as they are,
    an editor confirms them (verify/publication.py). Empty: the article does not say it."""

    claimant: str = ""
    claimant_by: str = ""  # who proposed it: the model's id, or "the article" (a reporting-verb pattern)
    claim_date: str = ""  # YYYY-MM-DD
    claim_date_by: str = ""
    appearance_url: str = ""  # the article's own address (proposed by "the article")


class Claim(Strict):
    id: str
    run_id: str
    article_id: str
    index: int  # position in article order
    text: str  # in the article's language
    text_en: str  # English form used for cross-lingual retrieval
    quote: str  # the article excerpt the model said states the claim
    span: Span | None  # None only when anchor == "unlocated" (then flagged)
    anchor: AnchorKind
    anchor_score: float = 100.0
    proposal: ClaimProposal | None = None  # absent in stores written before proposals existed

    @property
    def flagged(self) -> bool:
        return self.anchor == "unlocated"

    def check_span(self, article_text: str) -> None:
        """Offsets must point at the quote (verbatim for exact anchors)."""
        if self.span is None:
            if self.anchor != "unlocated":
                raise ValueError("a located claim needs a span")
            return
        if self.span.end > len(article_text):
            raise ValueError("span runs past the end of the article")
        if self.anchor == "exact" and article_text[self.span.start : self.span.end] != self.quote:
            raise ValueError("exact span does not match the quote")


class SourceMeta(Strict):
    source_id: str
    title: str = ""
    url: str = ""
    publisher: str = ""
    published: str = ""  # ISO date as given by the source
    language: str = ""
    path: str = ""  # file path or URL it was read from
    content_hash: str = ""
    tags: list[str] = Field(default_factory=list)


class Sentence(Strict):
    index: int  # within its chunk, from 0
    text: str
    start: int  # char offsets in the source text
    end: int


class Chunk(Strict):
    id: str  # "{source_id}:{n}"
    source: SourceMeta
    n: int
    text: str
    start: int
    end: int
    sentences: list[Sentence]


class Evidence(Strict):
    chunk: Chunk
    rank: int  # 1-based rank after fusion
    fused_score: float  # sum of weighted z-scores (how far above the library's typical chunk), or RRF
    dense_score: float | None = None  # best cosine similarity over the queries
    lexical_score: float | None = None  # best BM25 score over the queries


class Citation(Strict):
    chunk_id: str
    source_id: str
    sentence_index: int
    text: str  # exact sentence text, filled in by the program
    start: int  # char offsets in the source text
    end: int
    # The sentence's own stance as judged (judge_claim/v2 on); None for verdicts stored before (v1).
    stance: Literal["supports", "refutes", "unrelated"] | None = None


class EvidenceFlag(Strict):
    """A sentence shown to the judge that gives orders to the model (possible prompt injection).
    Stored on the verdict so the dashboard and the reports warn whoever relies on it."""

    chunk_id: str
    source_id: str
    sentence_index: int = Field(description="Index of the sentence within its chunk, from 0.")
    text: str = Field(description="The whole sentence, verbatim from the source.")
    phrase: str = Field(description="The words that read as an instruction, e.g. 'IGNORE ALL PREVIOUS INSTRUCTIONS'.")
    reason: str = Field(description="Why it was flagged, e.g. 'tells the model to ignore its instructions'.")
    cited: Literal["sentence", "passage", "no"] = Field(
        description="sentence: the verdict cites this sentence; passage: it cites another sentence of the same "
        "passage; no: the sentence was shown to the model but nothing of its passage is cited.")

    def describe(self) -> str:
        """One line for people: what the source says and how it touches the verdict."""
        where = {"sentence": "the cited sentence", "passage": "the cited passage", "no": "uncited evidence"}[self.cited]
        return f"{self.source_id}: {where} {self.reason}: “{self.phrase}”"


class Usage(Strict):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    latency_s: float = 0.0
    calls: int = 0
    cached_calls: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            latency_s=round(self.latency_s + other.latency_s, 4),
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
        )


class PromptRef(Strict):
    id: str  # e.g. "judge_claim"
    version: str  # e.g. "v1"
    sha256: str


class Verdict(Strict):
    id: str
    run_id: str
    claim_id: str
    status: Literal["ok", "error"]
    label: Label | None  # None when status == "error": a failed verdict is never invented
    rationale: str = ""
    confidence: float | None = None
    citations: list[Citation] = Field(default_factory=list)
    model: str
    prompt: PromptRef
    usage: Usage = Field(default_factory=Usage)
    error: str = ""
    raw_output: str = ""  # kept for failed verdicts (and ok ones, for audit)
    created_at: str = Field(default_factory=utcnow)
    evidence_flags: list[EvidenceFlag] = Field(default_factory=list)  # instructions to the model in the evidence

    @property
    def suspicious_citations(self) -> list[EvidenceFlag]:
        """Flags on what the verdict cites: the cited sentence itself or its passage gives orders to the model."""
        return [flag for flag in self.evidence_flags if flag.cited != "no"]

    @model_validator(mode="after")
    def _label_matches_status(self) -> "Verdict":
        if self.status == "ok" and self.label is None:
            raise ValueError("an ok verdict needs a label")
        if self.status == "error" and self.label is not None:
            raise ValueError("a failed verdict carries no label")
        return self


class RunSettings(Strict):
    model: str
    embedder: str
    top_k: int
    collection: str
    extract_prompt: str
    judge_prompt: str
    window_chars: int
    temperature: float


class Run(Strict):
    id: str
    article_id: str
    created_at: str
    status: Literal["running", "done", "failed"]
    settings: RunSettings
    summary: dict = Field(default_factory=dict)


# --- What the LLM returns -------------------------------------------------------------------------


class ExtractedClaim(Strict):
    quote: str = Field(description="Exact excerpt copied from the article that states the claim.")
    claim: str = Field(description="The claim as one self-contained sentence, in the article's language.")
    claim_en: str = Field(description="The same claim translated into English.")


class ExtractionOutput(Strict):
    claims: list[ExtractedClaim]


# --- Review events (the dashboard's decisions; verify/review.py replays them) -------------------------

ReviewAction = Literal["approve", "reject", "needs_evidence", "undo", "reopen"]


class NewReviewEvent(Strict):
    """A decision drawn up by verify/review.py, before the store gives it an id and a time."""

    reviewer: str
    action: ReviewAction
    label_before: str | None  # the claim's effective label before this event
    label_after: str | None  # the effective label after it
    note: str = ""
    previous_event_id: int | None = None  # the claim's last event when it was drawn up


class ReviewEvent(Strict):
    id: int
    run_id: str
    claim_id: str
    reviewer: str
    action: ReviewAction
    label_before: str | None  # the claim's effective label before this event
    label_after: str | None  # the effective label after it
    note: str = ""
    created_at: str
    previous_event_id: int | None = None


# --- Reviewer citations (issue 11): sentences a reviewer marks as supporting or refuting a claim ---------

CitationStance = Literal["supports", "refutes"]


class ReviewCitation(Strict):
    """One reviewer-citation event: `cite` adds a sentence with its stance, `withdraw` takes back the
    cite event `withdraws` names. Append-only, like review events; the fields mirror Citation so a report
    renders both alike."""

    id: int
    run_id: str
    claim_id: str
    reviewer: str
    action: Literal["cite", "withdraw"]
    stance: CitationStance | None = None
    chunk_id: str = ""
    source_id: str = ""
    sentence_index: int = 0
    text: str = ""  # the sentence, verbatim from the source
    start: int = 0  # char offsets in the source text
    end: int = 0
    origin: Literal["retrieved", "library", ""] = ""  # a retrieved passage, or the whole stored source
    source: SourceMeta | None = None  # the source as it was when cited (title, outlet, date, URL)
    note: str = ""
    withdraws: int | None = None
    created_at: str
