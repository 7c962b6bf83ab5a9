"""CSV report: one row per claim-citation pair (a claim without citations still gets one row).

Spreadsheets execute cells that start with = + - @ (and some treat a leading tab or carriage return
the same way), so text from articles, sources and models could run a formula on the reader's machine
("CSV injection"). Such cells get a leading apostrophe, which spreadsheets show as text. The optional
UTF-8 byte-order mark makes Excel read accented text correctly.
"""

from __future__ import annotations

import csv
import io

from .report_common import final_label
from .report_model import CitationRef, ClaimEntry, Report

COLUMNS = [
    "claim_number", "claim_id", "claim", "claim_en", "article_sentence", "final_label",
    "machine_status", "machine_label", "machine_confidence", "machine_rationale", "machine_error", "model",
    "prompt", "review_state", "review_label", "reviewer", "reviewed_at", "review_note",
    "citation_number", "cited_sentence", "source_id", "source_title", "publisher", "published", "source_url",
    "evidence_warnings",
]
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"


def neutralise(value: object) -> str:
    """A cell value that a spreadsheet will show as text, never evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_TRIGGERS) else text


def rows(report: Report) -> list[list[str]]:
    out = []
    for claim in report.claims:
        base = _claim_cells(claim)
        warnings = " | ".join(flag.describe() for flag in claim.machine.evidence_flags)  # possible prompt injection
        for cite in claim.citations or [None]:
            out.append([neutralise(v) for v in base + _citation_cells(cite) + [warnings]])
    return out


def render_csv(report: Report, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


def _claim_cells(c: ClaimEntry) -> list[object]:
    m, r = c.machine, c.review
    confidence = f"{m.confidence:.2f}" if m.confidence is not None else ""
    return [
        c.number, c.claim_id, c.text, c.text_en, c.article_sentence, final_label(c) or "",
        m.status, m.label.value if m.label else "", confidence, m.rationale, m.error, m.model, m.prompt,
        r.state, r.label or "", r.reviewer, r.decided_at, r.note,
    ]


def _citation_cells(cite: CitationRef | None) -> list[object]:
    if cite is None:
        return [""] * 7
    return [cite.number, cite.text, cite.source_id, cite.title, cite.publisher, cite.published, cite.url]
