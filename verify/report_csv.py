"""CSV report for spreadsheets: one row per claim, its citations joined in one cell, one per line.

Spreadsheets execute cells that start with = + - @ (and some treat a leading tab or carriage return
the same way), so text from articles, sources and models could run a formula on the reader's machine
("CSV injection"). Such cells get a leading apostrophe, which spreadsheets show as text. The file starts
with a UTF-8 byte-order mark by default: without it Excel reads the file as the local code page and
garbles accented text ("rÃ©fugiÃ©s"); `bom=False` drops it for tools that mind.
"""

from __future__ import annotations

import csv
import io

from .report_common import SELF_REPORTED, citation_source, final_label, rationale_warning
from .report_model import CitationRef, ClaimEntry, Report

COLUMNS = [
    "claim_number", "claim_id", "claim_language", "claim", "claim_en", "article_sentence", "final_label",
    "machine_status", "machine_label", "machine_confidence", "confidence_source", "machine_rationale",
    "rationale_warning", "machine_error", "model", "prompt", "review_state", "review_label", "reviewer", "reviewed_at",
    "review_note", "machine_citations", "reviewer_citations", "sources", "evidence_warnings",
]
CONFIDENCE_SOURCE = {"none": "none given", "self_reported": SELF_REPORTED, "calibrated": "calibrated"}
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"


def neutralise(value: object) -> str:
    """A cell value that a spreadsheet will show as text, never evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_TRIGGERS) else text


def rows(report: Report) -> list[list[str]]:
    language = report.header.article_language
    return [[neutralise(v) for v in _claim_cells(c, language)] for c in report.claims]


def render_csv(report: Report, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


def _claim_cells(c: ClaimEntry, language: str) -> list[object]:
    m, r = c.machine, c.review
    confidence = f"{m.confidence:.2f}" if m.confidence is not None else ""
    warnings = " | ".join(flag.describe() for flag in m.evidence_flags)  # possible prompt injection
    sources = " | ".join(dict.fromkeys(f"S{x.number} {citation_source(x)}" for x in c.citations + r.citations))
    return [
        c.number, c.claim_id, language, c.text, c.text_en, c.article_sentence, final_label(c) or "",
        m.status, m.label.value if m.label else "", confidence,
        CONFIDENCE_SOURCE[m.confidence_kind] if m.status == "ok" else "", m.rationale,
        rationale_warning(m.rationale_echo), m.error, m.model, m.prompt,
        r.state, r.label or "", r.reviewer, r.decided_at, r.note,
        _joined(c.citations), _joined(r.citations), sources, warnings,
    ]


def _joined(citations: list[CitationRef]) -> str:
    """'[1] “sentence” (S2)' per citation, one per line in the cell; rejected and stance said in words."""
    return "\n".join(f"[{x.citation_number}]" + "".join(f" ({tag})" for tag in (x.stance, "rejected" if x.rejected else "")
                                                          if tag) + f" “{x.text}” (S{x.number})" for x in citations)
