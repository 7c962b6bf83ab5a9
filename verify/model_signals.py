"""What a model's signals are worth to a reader, said the same way in reports and in the dashboard.

A confidence is shown as a number only when it is a measured probability. The bundled demo-grade
model writes 0.00 on every verdict, so its number means nothing and is not shown; a chat model
asked by the judge prompt to "give a confidence" reports its own guess, which is shown as such.

A rationale that only repeats the claim, or recites the judge prompt, explains nothing: weak models
do both, often cut off mid-sentence. It is flagged by a deterministic fuzzy match (rapidfuzz), so
the same verdict is always flagged the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from .mismatch import STOPWORDS
from .vocabulary import is_demo_grade

ConfidenceKind = Literal["none", "self_reported", "calibrated"]
NO_CONFIDENCE = "—"
SELF_REPORTED = "model's own estimate"
# Judges whose confidence is a calibrated probability (verify/stance.py fits it on labelled data).
CALIBRATED_PROMPTS = ("stance_support", "stance_refute")
ECHO_THRESHOLD = 90  # partial_ratio at or above this: the rationale is a (cut-off) copy
MIN_ECHO_CHARS = 12  # shorter rationales are too short to call copies ("Supported.")
MAX_EXTRA_WORDS = 1  # a rationale longer than the claim is a copy if it adds at most this many words
FILLER = set("claim claims says say said states stated statement true false correct accurate indeed "
             "affirmation dit indique vrai faux exact".split())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def confidence_kind(model: str, prompt_id: str, confidence: float | None) -> ConfidenceKind:
    """How much a verdict's confidence is worth: none, the model's own estimate, or calibrated."""
    if confidence is None or is_demo_grade(model):
        return "none"
    if prompt_id.partition("/")[0] in CALIBRATED_PROMPTS:
        return "calibrated"
    return "self_reported"  # an unknown origin is never presented as a measured probability


def confidence_text(model: str, prompt_id: str, confidence: float | None) -> str:
    """'—', '0.72 (model's own estimate)' or '0.72': what a reader is shown for a confidence."""
    kind = confidence_kind(model, prompt_id, confidence)
    if kind == "none":
        return NO_CONFIDENCE
    if kind == "self_reported":
        return f"{confidence:.2f} ({SELF_REPORTED})"
    return f"{confidence:.2f}"


def shown_confidence(model: str, prompt_id: str, confidence: float | None) -> float | None:
    """The confidence a report carries: None when the model gives no real one."""
    return None if confidence_kind(model, prompt_id, confidence) == "none" else confidence


def rationale_echo(rationale: str, claim_texts: list[str], prompt_id: str = "") -> str:
    """'' or what the rationale only repeats: 'the claim' or 'the prompt' (a warning for the reader)."""
    text = _norm(rationale)
    if len(text) < MIN_ECHO_CHARS:
        return ""
    if any(_copies(text, _norm(claim)) for claim in claim_texts if claim):
        return "the claim"
    prompt = _prompt_text(prompt_id)
    if prompt and _copies(text, prompt):
        return "the prompt"
    return ""


def rationale_warning(echo: str) -> str:
    """The sentence shown beside a flagged rationale."""
    return f"The rationale repeats {echo}: it explains nothing; judge from the citations." if echo else ""


def _copies(text: str, original: str) -> bool:
    """Whether `text` is (nearly) a stretch of `original`, or `original` a stretch of it."""
    if not original:
        return False
    if len(text) <= len(original):
        return fuzz.partial_ratio(text, original) >= ECHO_THRESHOLD
    # A longer rationale made of the claim plus filler ("The claim says that ..."): nothing else in it.
    if fuzz.partial_ratio(original, text) < ECHO_THRESHOLD:
        return False
    extra = set(_WORD.findall(text)) - set(_WORD.findall(original)) - STOPWORDS - FILLER
    return len(extra) <= MAX_EXTRA_WORDS


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@lru_cache(maxsize=16)
def _prompt_text(prompt_id: str) -> str:
    """The prompt file's fixed text (system part and the user template without its placeholders)."""
    name, _, version = prompt_id.partition("/")
    if not name:
        return ""
    from .errors import VerifyError
    from .prompts import load_prompt

    try:
        prompt = load_prompt(name, version or "v1")
    except (VerifyError, OSError):  # a prompt no longer on disk: only the claim check applies
        return ""
    return _norm(prompt.system + " " + prompt.user_template)


def rationale_flag(verdict, claim) -> str:
    """The warning for a stored verdict whose rationale repeats its claim or prompt ('' when it does not)."""
    prompt = f"{verdict.prompt.id}/{verdict.prompt.version}"
    return rationale_warning(rationale_echo(verdict.rationale or "", [claim.text, claim.text_en], prompt))


def verdict_confidence(verdict) -> str:
    """confidence_text for a stored verdict (the dashboard's claim card)."""
    return confidence_text(verdict.model, f"{verdict.prompt.id}/{verdict.prompt.version}", verdict.confidence)


def verdict_shown_confidence(verdict) -> float | None:
    """shown_confidence for a stored verdict (None for a verdict-less claim): the dashboard's list and filter."""
    if verdict is None:
        return None
    return shown_confidence(verdict.model, f"{verdict.prompt.id}/{verdict.prompt.version}", verdict.confidence)
