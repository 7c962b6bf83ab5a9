"""The words, symbols and colours every surface uses, and the rules they share.

The report (Markdown, HTML, CSV, ClaimReview), the dashboard and the terminal all import from here,
so a label or a review state reads the same everywhere, a run is flagged demo-grade by one rule, and
the CLI and the dashboard name report files from one table. A leaf module: it imports nothing from
the project, so anything may import it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Iterable, NamedTuple

# --- verdict labels ------------------------------------------------------------------------------------

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
# A symbol and a word for every label: colour is never the only signal (colour-blind readers, B/W print).
LABEL_SYMBOL = {"SUPPORTED": "✓", "REFUTED": "✗", "NOT_ENOUGH_INFO": "?"}
LABEL_WORDS = {"SUPPORTED": "Supported", "REFUTED": "Refuted", "NOT_ENOUGH_INFO": "Not enough information"}
# What a claim shows when it has no label: its verdict failed, or it was never judged (the dashboard
# also marks a claim a reviewer sent back for more evidence).
FAILED, PENDING, NEEDS_EVIDENCE = "FAILED", "PENDING", "NEEDS_EVIDENCE"
NO_LABEL_TAG = {FAILED: "! VERDICT FAILED", PENDING: "– NOT JUDGED", NEEDS_EVIDENCE: "◐ NEEDS MORE EVIDENCE"}


class Colour(NamedTuple):
    background: str
    ink: str  # text on `background`, and the fill of a badge with white text
    edge: str  # borders and underlines; the terminal's colour


# Okabe-Ito palette (distinguishable with the common colour-vision deficiencies).
COLOURS = {
    "SUPPORTED": Colour("#dff3ec", "#00573f", "#009e73"),
    "REFUTED": Colour("#fbe4d6", "#8a3400", "#d55e00"),
    "NOT_ENOUGH_INFO": Colour("#e8edf7", "#1d3f73", "#0072b2"),
    FAILED: Colour("#f7e6ef", "#7a1d4f", "#cc79a7"),
    NEEDS_EVIDENCE: Colour("#fff4cc", "#6b4a00", "#e69f00"),
    PENDING: Colour("#f6f8fa", "#57606a", "#d0d7de"),
}


def label_tag(label: str | None) -> str:
    """The short form of a label on every surface: symbol and name ("✓ SUPPORTED", "! VERDICT FAILED")."""
    if label in LABEL_SYMBOL:
        return f"{LABEL_SYMBOL[label]} {label}"
    return NO_LABEL_TAG.get(label or PENDING, label or "")


def label_words(label: str | None) -> str:
    """A label in words ("Not enough information"), for prose and ClaimReview's alternateName."""
    return LABEL_WORDS.get(label or "", label or "")


def terminal_style(label: str) -> str:
    """The rich style of a label in the terminal (rich maps hex colours to what the terminal has)."""
    colour = COLOURS.get(label.upper())  # run summaries count failed verdicts as "failed"
    return colour.edge if colour else ""


# --- review states -------------------------------------------------------------------------------------

STATES = ("unreviewed", "approved", "rejected", "needs_evidence")
STATE_WORDS = {
    "approved": "approved",
    "rejected": "rejected (label corrected)",
    "needs_evidence": "needs more evidence",
    "unreviewed": "not reviewed",
}
STATE_SYMBOL = {"approved": "●", "rejected": "◆", "needs_evidence": "◐", "unreviewed": "○"}


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " "))


# --- the demo-grade model -------------------------------------------------------------------------------

DEMO_GRADE_WARNING = (
    "This run's model is Gemma 3 270M (base), the bundled 'local:gemma' model: a demo-grade model that proves the "
    "pipeline runs offline. Its claims and verdicts are NOT reliable: use --model openai:<model> or an "
    "OpenAI-compatible server (--base-url) for real fact-checking."
)
# Gemma 3 270M by file or model name: "gemma-3-270m-q4_k_m.gguf", GGUF's general.name "Gemma 3 270m".
_DEMO_NAME = re.compile(r"gemma[-_ ]?3[-_ ]?270m", re.IGNORECASE)


def is_demo_grade(model: str) -> bool:
    """Whether a model spec or a stored model id is the demo-grade Gemma 3 270M.

    `local:gemma` is the bundled copy (`local`, the offline default, is Qwen 1.5B since issue 12; runs
    stored before that still carry Gemma's model id on every verdict); `local:<path>` and `local:hf:...`
    are recognised by the file's name and, for a file that exists, by the name inside its GGUF header
    (a renamed copy is still Gemma)."""
    if model == "local:gemma":
        return True
    backend, _, rest = model.partition(":")
    if backend != "local":
        return False
    if _DEMO_NAME.search(rest):
        return True
    path = Path(rest).expanduser()
    return path.suffix.lower() == ".gguf" and path.is_file() and bool(_DEMO_NAME.search(gguf_names(path)))


def run_is_demo_grade(summary: dict, models: Iterable[str]) -> bool:
    """A stored run is demo-grade when it said so when it ran, or when its model spec or any verdict's
    model id is (runs stored before a path-given Gemma file was recognised have the flag unset)."""
    return bool(summary.get("demo_grade_model")) or any(is_demo_grade(m) for m in models if m)


def gguf_names(path: Path) -> str:
    """The leading string metadata of a GGUF file (general.architecture, .name, .basename, .size_label
    ...), joined by spaces; '' when the file is not GGUF or cannot be read.

    Only the first string values are read (they come first in files llama.cpp writes), so this costs a
    few hundred bytes. Hand-read because the `gguf` package is not a dependency of llama-cpp-python."""
    names: list[str] = []
    try:
        with path.open("rb") as f:
            magic, _version, _tensors, count = struct.unpack("<4sIQQ", f.read(24))
            if magic != b"GGUF":
                return ""
            for _ in range(min(count, 16)):
                _key = _gguf_string(f)
                (kind,) = struct.unpack("<I", f.read(4))
                if kind != 8:  # 8 = string; anything else ends the names at the top of the file
                    break
                names.append(_gguf_string(f))
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        pass
    return " ".join(names)


def _gguf_string(f) -> str:
    (length,) = struct.unpack("<Q", f.read(8))
    if length > 4096:  # a metadata name, not a blob: refuse to read a corrupt length
        raise ValueError("GGUF string too long")
    return f.read(length).decode("utf-8")


# --- report formats --------------------------------------------------------------------------------------


class ReportFormat(NamedTuple):
    suffix: str  # the file suffix the CLI infers the format from and the dashboard names downloads with
    mime: str


# One table for `verify report` and the dashboard's download button. ClaimReview is JSON-LD: `.jsonld`.
REPORT_FORMATS: dict[str, ReportFormat] = {
    "md": ReportFormat(".md", "text/markdown; charset=utf-8"),
    "html": ReportFormat(".html", "text/html; charset=utf-8"),
    "json": ReportFormat(".json", "application/json"),
    "csv": ReportFormat(".csv", "text/csv; charset=utf-8"),
    "claimreview": ReportFormat(".jsonld", "application/ld+json"),
}
# Other suffixes a user may give to -o for the same formats.
_SUFFIX_ALIASES = {".markdown": "md", ".htm": "html"}


def format_for_suffix(filename: str | Path | None, default: str = "md") -> str:
    """The report format a file name asks for (by suffix), or `default`."""
    suffix = Path(filename).suffix.lower() if filename else ""
    by_suffix = {spec.suffix: fmt for fmt, spec in REPORT_FORMATS.items()} | _SUFFIX_ALIASES
    return by_suffix.get(suffix, default)
