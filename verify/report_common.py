"""Wording shared by the report renderers, so Markdown, HTML and CSV say the same thing."""

from __future__ import annotations

from datetime import datetime

from .markup import safe_url  # noqa: F401 (re-exported: tests and older callers import it from here)
from .model_signals import NO_CONFIDENCE, SELF_REPORTED, rationale_warning  # noqa: F401 (the renderers import it from here)
from .report_model import CitationRef, ClaimEntry, Header, MachineVerdict, Report, ReviewDecision
# Label and state words are the dashboard's and the terminal's too: they live in verify/vocabulary.py.
from .vocabulary import FAILED, LABEL_SYMBOL, NO_LABEL_TAG, PENDING, label_tag  # noqa: F401
from .vocabulary import label_words as label_text  # noqa: F401
from .vocabulary import LABEL_WORDS as LABEL_TEXT  # noqa: F401 (re-exported)
from .vocabulary import STATE_WORDS as STATE_TEXT
# Where the label in a claim's heading comes from.
CLAIM_STATUS = {
    "approved": "reviewed",
    "rejected": "corrected by the reviewer",
    "needs_evidence": "machine verdict; the reviewer asked for more evidence",
    "unreviewed": "machine verdict, not reviewed",
}
# What a claim's heading says when there is no label at all.
NO_LABEL = {"error": NO_LABEL_TAG[FAILED], "not_judged": NO_LABEL_TAG[PENDING], "omitted": "– NO LABEL", "ok": "– NO LABEL"}


def citation_numbers(cited) -> list[int]:
    """Numbers for a claim's citations, [1] [2] [3] in the order cited; the same sentence of the same source
    cited twice keeps its number. Reports and the dashboard both number citations with this, so "[2]" means
    the same sentence on screen and on paper. `cited` is a Verdict or a list of citations (anything with
    source_id and text); a source's bibliography number is a separate thing (S1, S2 ... in reports)."""
    citations = getattr(cited, "citations", cited)
    seen: dict[tuple[str, str], int] = {}
    return [seen.setdefault((c.source_id, " ".join(c.text.split())), len(seen) + 1) for c in citations]


def fmt_time(iso: str) -> str:
    """'2025-03-15T09:00:00+00:00' -> '2025-03-15 09:00 UTC' (unparseable text is returned as is)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    zone = "UTC" if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0 else moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


def confidence_words(machine: MachineVerdict) -> str:
    """'confidence —', 'confidence 0.72, the model's own estimate' or 'confidence 0.72'."""
    if machine.confidence_kind == "none" or machine.confidence is None:
        return f"confidence {NO_CONFIDENCE}"
    own = f", the {SELF_REPORTED}" if machine.confidence_kind == "self_reported" else ""
    return f"confidence {machine.confidence:.2f}{own}"


def machine_line(machine: MachineVerdict, rejected: bool = False) -> str:
    """One line saying what the model concluded (or that it failed, or was omitted). A verdict the reviewer
    rejected is only reported as what the machine said, never as the claim's label."""
    if machine.status == "ok" and machine.label is not None:
        said = f"{label_tag(machine.label.value)} ({confidence_words(machine)})"
        return f"machine said {said}, rejected by the reviewer" if rejected else said
    if machine.status == "error":
        return "FAILED: no verdict (the model's output was invalid; no label was invented)"
    if machine.status == "omitted":
        return "rejected by the reviewer (omitted from this report)"
    return "not judged"


def review_line(review: ReviewDecision) -> str:
    if review.state == "unreviewed":
        return "not reviewed"
    parts = [STATE_TEXT[review.state]]
    if review.label:
        parts.append(label_tag(review.label))
    who = f"by {review.reviewer}" if review.reviewer else ""
    when = f"on {fmt_time(review.decided_at)}" if review.decided_at else ""
    return " ".join(filter(None, [": ".join(parts), who, when]))


def final_label(claim: ClaimEntry) -> str | None:
    """The label a reader should take away: the reviewer's when reviewed, else the machine's."""
    if claim.review.state in ("approved", "rejected") and claim.review.label:
        return claim.review.label
    if claim.machine.label is not None:
        return claim.machine.label.value
    return None


def source_line(title: str, publisher: str, published: str) -> str:
    return ", ".join(part for part in (title, publisher, published) if part)


def citation_source(cite: CitationRef) -> str:
    return source_line(cite.title or cite.source_id, cite.publisher, cite.published)


INJECTION_TITLE = "Possible prompt injection"
INJECTION_ADVICE = "a source shown to the model gives it orders; check this verdict against the sources by hand"


def injection_note(h: Header) -> str:
    """The header's warning when verdicts of the run cite a source that gives orders to the model."""
    if not h.injection_flagged:
        return ""
    return (f"{h.injection_flagged} verdict(s) cite a source, or a passage of one, that gives orders to the model; "
            f"check them against the sources by hand.")


def options_notes(report: Report) -> list[str]:
    """What the report's options left out, said next to the number of claims shown."""
    o = report.options
    flags = ((o.only_approved, "only approved"), (o.only_reviewed and not o.only_approved, "only reviewed"),
             (not o.include_rejected, "rejected machine verdicts omitted"))
    return [text for flag, text in flags if flag]
