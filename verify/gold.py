"""Reviewer decisions as gold: reviewed claims written as a labelled set in the eval format
(docs/eval-format.md), so `verify eval` measures a model against the newsroom's own reviewers.

A claim is gold once a reviewer approved or rejected it: its label is the reviewer's (the machine's
when approved, the corrected one when rejected). Its evidence is what people stand behind: the
reviewer's own citations with their stance, and, when the verdict was approved, the machine's
citations, which then point the label's way. A rejected verdict's citations are never gold. Claims
left unreviewed or marked "needs more evidence" carry no label anyone confirmed: they are skipped
and counted. Everything is read through the report model, so gold agrees with the reports
(current wording, merged and not check-worthy claims left out).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .models import Strict
from .report import build_report
from .report_model import CitationRef, ClaimEntry, ReportOptions
from .store import Store

Stance = Literal["SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO"]
REVIEWER_STANCE: dict[str, Stance] = {"supports": "SUPPORTS", "refutes": "REFUTES"}
# An approved verdict's citations point the way of its label (NOT_ENOUGH_INFO cites nothing decisive).
LABEL_STANCE: dict[str, Stance] = {"SUPPORTED": "SUPPORTS", "REFUTED": "REFUTES", "NOT_ENOUGH_INFO": "NOT_ENOUGH_INFO"}
DATASET = "verify-review"


class GoldEvidence(Strict):
    """One `evidence` item of the eval format."""

    source_id: str
    title: str = ""
    text: str = Field(description="The cited sentence, verbatim from the source.")
    stance: Stance


class GoldClaim(Strict):
    """One line of the eval format; `meta` says where the decision came from."""

    id: str
    dataset: str = DATASET
    claim: str
    label: Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]
    language: str
    evidence: list[GoldEvidence]
    meta: dict


class GoldExport(Strict):
    claims: list[GoldClaim] = Field(default_factory=list)
    runs: int = 0
    skipped: int = Field(0, description="Claims without a reviewer's label (unreviewed, or needs more evidence).")

    def jsonl(self) -> bytes:
        return "".join(c.model_dump_json() + "\n" for c in self.claims).encode("utf-8")

    def summary(self) -> str:
        bare = sum(1 for c in self.claims if not c.evidence)
        text = (f"{len(self.claims)} reviewed claim(s) from {self.runs} run(s); {self.skipped} claim(s) skipped "
                "(not reviewed, or waiting for more evidence)")
        return text + (f"; {bare} with no cited evidence (judged, but left out of retrieval scores)" if bare else "")


def export_gold(store: Store, run_ids: list[str] | None = None) -> GoldExport:
    """The reviewed claims of the given runs (every run, oldest first, when none is given)."""
    run_ids = run_ids or [run.id for run in reversed(store.list_runs())]
    export = GoldExport(runs=len(run_ids))
    for run_id in run_ids:
        report = build_report(store, run_id, ReportOptions())
        for entry in report.claims:
            if entry.review.state in ("approved", "rejected") and entry.review.label:
                export.claims.append(gold_claim(entry, run_id, report.header.article_language,
                                                report.header.article_title))
            else:
                export.skipped += 1
    return export


def gold_claim(entry: ClaimEntry, run_id: str, language: str, article_title: str) -> GoldClaim:
    review = entry.review
    meta = {"run_id": run_id, "claim_id": entry.claim_id, "claim_number": entry.number, "article": article_title,
            "reviewer": review.reviewer, "decided_at": review.decided_at, "review_state": review.state,
            "machine_label": entry.machine.label.value if entry.machine.label else None}
    if entry.text_en:
        meta["claim_en"] = entry.text_en
    return GoldClaim(id=f"{run_id}:{entry.number}", claim=entry.text, label=review.label, language=language,
                     evidence=gold_evidence(entry), meta=meta)


def gold_evidence(entry: ClaimEntry) -> list[GoldEvidence]:
    """The reviewer's citations, then (approved verdicts only) the machine's; each sentence once."""
    items = [_item(c, REVIEWER_STANCE[c.stance]) for c in entry.review.citations if c.stance in REVIEWER_STANCE]
    if entry.review.state == "approved":
        items += [_item(c, LABEL_STANCE[entry.review.label]) for c in entry.citations if not c.rejected]
    unique: dict[tuple[str, str], GoldEvidence] = {}
    for item in items:
        unique.setdefault((item.source_id, " ".join(item.text.split())), item)  # the reviewer's stance wins
    return list(unique.values())


def _item(cite: CitationRef, stance: Stance) -> GoldEvidence:
    return GoldEvidence(source_id=cite.source_id, title=cite.title, text=cite.text, stance=stance)
