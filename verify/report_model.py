"""The citation report as a pydantic contract.

Every export format (Markdown, HTML, JSON, CSV, ClaimReview) is rendered from one `Report`, so the
formats cannot disagree about what a run found. The JSON export is this model dumped as is, and
verify/schemas/report.schema.json is generated from it (`python -m verify.report_model` rewrites it;
a test checks the committed file is current).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from .models import EvidenceFlag, Label, Span, Strict

SCHEMA_VERSION = "1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "report.schema.json"
SCHEMA_ID = "urn:verify:schema:report:1"

ReviewState = Literal["unreviewed", "approved", "rejected", "needs_evidence"]
MachineStatus = Literal["ok", "error", "not_judged", "omitted"]


class ReportOptions(Strict):
    """Which claims and verdicts the report shows (totals always cover the whole run)."""

    only_reviewed: bool = Field(False, description="Show only claims a reviewer approved or rejected.")
    only_approved: bool = Field(False, description="Show only claims whose machine verdict a reviewer approved.")
    include_rejected: bool = Field(
        True, description="Show machine verdicts that a reviewer rejected. When false, the claim stays with the "
        "reviewer's corrected label but the rejected verdict, its rationale and its citations are omitted.")


class PromptVersion(Strict):
    id: str = Field(description="Prompt name, e.g. judge_claim.")
    version: str = Field(description="Prompt version, e.g. v1.")
    sha256: str = Field("", description="Hash of the prompt file as used (empty when not recorded).")


class MachineTotals(Strict):
    SUPPORTED: int = 0
    REFUTED: int = 0
    NOT_ENOUGH_INFO: int = 0
    failed: int = Field(0, description="Verdicts that failed (no label was invented).")
    not_judged: int = Field(0, description="Claims without any verdict (interrupted run).")


class ReviewTotals(Strict):
    approved: int = 0
    rejected: int = 0
    needs_evidence: int = 0
    unreviewed: int = 0


class Completeness(Strict):
    claims: int = Field(description="Claims in the run.")
    reviewed: int = Field(description="Claims approved or rejected by a reviewer.")
    percent: float = Field(description="reviewed / claims * 100, one decimal.")
    complete: bool


class SourceEntry(Strict):
    """A source retrieved for at least one claim of the run."""

    source_id: str
    number: int | None = Field(None, description="Bibliography number when cited in the shown claims.")
    title: str = ""
    publisher: str = ""
    published: str = ""
    url: str = ""
    language: str = ""
    cited_by: list[int] = Field(default_factory=list, description="Numbers of the shown claims citing it.")
    retrieved_for: int = Field(0, description="Claims of the run for which it was retrieved as evidence.")


class Header(Strict):
    run_id: str
    run_date: str = Field(description="When the run started (ISO 8601, UTC).")
    run_status: str
    generated_at: str = Field(description="When this report was generated (ISO 8601, UTC).")
    article_id: str
    article_title: str
    article_source: str = Field(description="Path or URL the article was read from.")
    article_url: str = Field("", description="The article's URL when it was read from http(s).")
    article_language: str
    model: str = Field(description="LLM that produced the verdicts (run setting).")
    verdict_models: list[str] = Field(default_factory=list, description="Distinct model ids on the verdicts.")
    embedder: str
    prompts: list[PromptVersion]
    demo_grade: bool
    warning: str = Field("", description="Shown prominently when set (demo-grade model).")
    machine_totals: MachineTotals
    review_totals: ReviewTotals
    reviewed_labels: dict[str, int] = Field(default_factory=dict,
                                            description="Reviewer labels of reviewed claims, counted.")
    completeness: Completeness
    sources_retrieved: int
    sources_cited: int
    claims_total: int
    claims_shown: int
    injection_flagged: int = Field(0, description="Verdicts of the run whose cited sentence or passage gives orders "
                                   "to the model (possible prompt injection).")


class CitationRef(Strict):
    citation_number: int = Field(0, description="The citation's number within its claim: [1] [2] [3] in the order "
                                 "cited (machine citations first, then the reviewer's), the numbers the dashboard "
                                 "shows. The same sentence cited twice keeps one number.")
    number: int = Field(description="Bibliography number of the cited source (shared across the report, shown "
                        "as S1, S2 ...).")
    text: str = Field(description="The quoted sentence, verbatim from the source.")
    source_id: str
    chunk_id: str
    sentence_index: int
    start: int
    end: int
    title: str = ""
    publisher: str = ""
    published: str = ""
    url: str = ""
    stance: Literal["", "supports", "refutes", "unrelated"] = Field(
        "", description="The sentence's own stance, not the claim's verdict. Reviewer citations: whether the "
        "reviewer marked the sentence as supporting or refuting the claim. Machine citations: the stance the "
        "model gave the sentence (judge_claim/v2 on); empty for verdicts judged before (v1: cited, no stance).")
    rejected: bool = Field(False, description="A machine citation of a verdict the reviewer rejected.")


class MachineVerdict(Strict):
    status: MachineStatus = Field(description="ok | error (failed: no label) | not_judged | omitted (rejected, "
                                  "left out by the options).")
    label: Label | None = None
    confidence: float | None = Field(None, description="A confidence worth showing; null when the model gives "
                                     "none (the demo-grade model writes 0.00 on every verdict).")
    confidence_kind: Literal["none", "self_reported", "calibrated"] = Field(
        "none", description="none | self_reported (the model's own estimate, asked for in the prompt) | calibrated "
        "(a probability fitted on labelled data).")
    rationale: str = ""
    rationale_echo: str = Field("", description="What the rationale only repeats ('the claim' or 'the prompt'), "
                                "so it explains nothing; empty otherwise.")
    error: str = ""
    model: str = ""
    prompt: str = Field("", description="id/version of the judge prompt.")
    created_at: str = ""
    evidence_flags: list[EvidenceFlag] = Field(
        default_factory=list, description="Evidence sentences shown to the model that give it orders (possible prompt "
        "injection). A verdict whose cited sentence or passage is flagged should be checked by hand.")


class ReviewDecision(Strict):
    state: ReviewState
    label: str | None = Field(None, description="Reviewer's label: the machine's when approved, the corrected "
                              "one when rejected.")
    reviewer: str = ""
    decided_at: str = ""
    note: str = ""
    citations: list[CitationRef] = Field(default_factory=list, description="Sentences the reviewer cited as "
                                         "supporting or refuting the claim.")


class ClaimEntry(Strict):
    number: int = Field(description="Position in article order, from 1.")
    claim_id: str
    text: str = Field(description="The claim in the article's language.")
    text_en: str = Field(description="The claim's English form; empty when none was made (a claim taken "
                         "verbatim from an article in another language).")
    quote: str = Field(description="The article excerpt that states the claim.")
    article_sentence: str = Field("", description="The article sentence(s) containing the claim's span.")
    span: Span | None = None
    anchor: str
    machine: MachineVerdict
    review: ReviewDecision
    citations: list[CitationRef] = Field(default_factory=list)


class Report(Strict):
    schema_version: Literal["1"] = SCHEMA_VERSION
    header: Header
    options: ReportOptions
    claims: list[ClaimEntry]
    bibliography: list[SourceEntry] = Field(description="Cited sources, each once, in citation-number order.")
    other_sources: list[SourceEntry] = Field(description="Sources retrieved in the run but not cited.")


def report_json_schema() -> dict:
    schema = Report.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    schema["title"] = "verify citation report"
    schema["description"] = "A run's claims, verdicts, reviewer decisions and citations, as exported by `verify report --format json`."
    return schema


def schema_text() -> str:
    return json.dumps(report_json_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":  # regenerate the committed schema file
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
