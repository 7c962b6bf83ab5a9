"""Labelled claim-verification sets (the JSONL format of docs/eval-format.md).

Each line is validated by the pydantic models below; a bad line stops loading with `file:line: reason`
naming the first problem. The evidence of a set can be turned into a source library (pooled
evaluation) or into each claim's own passages (paired), and gold evidence is matched against
retrieved chunks by its text, so the same check works for the pooled library and for a real library
of source files (the seed set, whose evidence items are sentences of seeds/sources/).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from ..documents import Document, detect_language, normalise
from ..errors import InputError
from ..models import Chunk, SourceMeta, content_hash

THREE_WAY = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
TWO_WAY = ("REFUTED", "NOT_REFUTED")
# Stance spellings seen in public sets (SciFact uses entailment / not_entailment) -> one vocabulary.
STANCES = {
    "supports": "SUPPORTS", "support": "SUPPORTS", "supported": "SUPPORTS", "entailment": "SUPPORTS",
    "refutes": "REFUTES", "refute": "REFUTES", "refuted": "REFUTES", "contradict": "REFUTES",
    "contradiction": "REFUTES", "not_entailment": "REFUTES",
    "not_enough_info": "NOT_ENOUGH_INFO", "nei": "NOT_ENOUGH_INFO", "neutral": "NOT_ENOUGH_INFO",
    "irrelevant": "NOT_ENOUGH_INFO", "unrelated": "NOT_ENOUGH_INFO", "noinfo": "NOT_ENOUGH_INFO",
}
DIRECTION = {"SUPPORTED": "SUPPORTS", "REFUTED": "REFUTES"}
SPACE = re.compile(r"\s+")


class DatasetError(InputError):
    """A dataset line that cannot be used; the message names the file and line."""


def _text_or(default: str) -> BeforeValidator:
    """A free-text field: missing, null or empty becomes `default`, anything else its string form."""
    return BeforeValidator(lambda value: str(value or default))


def _refuse(reason: str) -> PydanticCustomError:
    """A validation error whose message is the whole reason shown after `file:line: `."""
    return PydanticCustomError("dataset", reason)


class EvalEvidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    source_id: str
    title: Annotated[str, _text_or("")] = ""
    text: str
    stance: str | None = None  # SUPPORTS | REFUTES | NOT_ENOUGH_INFO | None (not given)

    @field_validator("source_id", "text", mode="before")
    @classmethod
    def _non_empty(cls, value: Any, info) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _refuse(f"missing or empty '{info.field_name}'")
        return normalise(value) if info.field_name == "text" else value

    @field_validator("stance", mode="before")
    @classmethod
    def _stance(cls, value: Any) -> str | None:
        if value is None:
            return None
        if str(value).lower() not in STANCES:
            accepted = ", ".join(sorted(STANCES))
            raise _refuse(f"unknown stance {value!r} (accepted, any case: {accepted})")
        return STANCES[str(value).lower()]


class EvalClaim(BaseModel):
    """One line of the file. Fields are declared in the order missing ones are named."""
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, BeforeValidator(str)]
    claim: str
    label: str
    evidence: list[EvalEvidence]
    language: Annotated[str, _text_or("und")] = "und"
    meta: dict = Field(default_factory=dict)
    line: int = 0

    @field_validator("claim", mode="before")
    @classmethod
    def _claim(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _refuse("'claim' must be a non-empty string")
        return value.strip()

    @field_validator("label", mode="before")
    @classmethod
    def _label(cls, value: Any) -> str:
        if value not in THREE_WAY + TWO_WAY:
            raise _refuse(f"unknown label {value!r} (expected one of {', '.join(THREE_WAY + TWO_WAY)})")
        return value

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise _refuse("'evidence' must be a list")
        return value

    @field_validator("meta", mode="before")
    @classmethod
    def _meta(cls, value: Any) -> dict:
        return value if isinstance(value, dict) else {}  # free-form: anything else is ignored

    @property
    def claim_en(self) -> str:
        return str(self.meta.get("claim_en") or "")

    def gold(self) -> list[EvalEvidence]:
        """Evidence whose stance matches the label's direction; every item when no stance is given."""
        if any(e.stance for e in self.evidence):
            want = DIRECTION.get(self.label)
            return [e for e in self.evidence if want and e.stance == want]
        return list(self.evidence)


class EvalSet(BaseModel):
    path: str
    claims: list[EvalClaim]
    scheme: str  # "3way" | "2way"

    @property
    def labels(self) -> tuple[str, ...]:
        return TWO_WAY if self.scheme == "2way" else THREE_WAY


def load_dataset(path: str | Path, limit: int | None = None) -> EvalSet:
    """Read and validate a JSONL set; raise DatasetError naming the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file")
    claims: list[EvalClaim] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            claim = parse_line(line, f"{path}:{number}")
            claim.line = number
            if claim.id in seen:
                raise DatasetError(f"{path}:{number}: duplicate id {claim.id!r} (first on line {seen[claim.id]})")
            seen[claim.id] = number
            claims.append(claim)
    if not claims:
        raise DatasetError(f"{path}: the dataset has no claims")
    scheme = label_scheme(claims, path)
    return EvalSet(path=str(path), claims=claims[:limit] if limit else claims, scheme=scheme)


def parse_line(line: str, where: str) -> EvalClaim:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(row).__name__}")
    try:
        return EvalClaim.model_validate(row)
    except ValidationError as exc:
        raise DatasetError(f"{where}: {first_problem(exc)}") from None


def first_problem(exc: ValidationError) -> str:
    """The reason for the first problem of a line, in the file's own terms (`evidence[2]: ...`)."""
    errors = exc.errors(include_url=False)
    missing = [e["loc"][0] for e in errors if e["type"] == "missing" and len(e["loc"]) == 1]
    if missing:
        return f"missing field(s) {', '.join(map(str, missing))}"
    error = errors[0]
    loc = list(error["loc"])
    where = f"evidence[{loc[1]}]: " if loc[:1] == ["evidence"] and len(loc) > 1 else ""
    if error["type"] == "dataset":
        return where + error["msg"]
    if where and error["type"] == "missing":
        return f"{where}missing or empty '{loc[2]}'"
    if where and len(loc) == 2:  # the item itself is not an object
        return f"{where}expected an object"
    return f"{where}{'.'.join(map(str, loc[2 if where else 0:]))}: {error['msg']}"


def label_scheme(claims: list[EvalClaim], path: Path) -> str:
    labels = {c.label for c in claims}
    if "NOT_REFUTED" not in labels:
        return "3way"
    odd = next((c for c in claims if c.label not in TWO_WAY), None)
    if odd is not None:
        raise DatasetError(f"{path}:{odd.line}: label {odd.label!r} in a two-way set (REFUTED / NOT_REFUTED); "
                           "do not mix the two label schemes in one file")
    return "2way"


# --- Libraries built from the evidence ------------------------------------------------------------


def pool_documents(claims: list[EvalClaim]) -> list[Document]:
    """One source document per evidence source_id (distinct texts of one id joined as paragraphs)."""
    texts: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for claim in claims:
        for item in claim.evidence:
            parts = texts.setdefault(item.source_id, [])
            if item.text not in parts:
                parts.append(item.text)
            titles.setdefault(item.source_id, item.title)
    return [make_document(sid, titles[sid], "\n\n".join(parts)) for sid, parts in texts.items()]


def make_document(source_id: str, title: str, text: str, language: str | None = None) -> Document:
    meta = SourceMeta(source_id=source_id, title=title, language=language or detect_language(text),
                      path=source_id, content_hash=content_hash(text))
    return Document(text=text, meta=meta)


# --- Gold matching ----------------------------------------------------------------------------------


def squash(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def covers(chunk: Chunk, gold: EvalEvidence) -> bool:
    """Gold text inside the chunk, or the chunk inside a long gold item of the same source."""
    chunk_text, gold_text = squash(chunk.text), squash(gold.text)
    if gold_text in chunk_text:
        return True
    return chunk.source.source_id == gold.source_id and len(chunk_text) > 20 and chunk_text in gold_text


def sentence_is_gold(text: str, gold: list[EvalEvidence]) -> bool:
    """A cited sentence counts as gold if it is (part of) a gold item or contains one."""
    sentence = squash(text)
    return bool(sentence) and any(sentence in squash(g.text) or squash(g.text) in sentence for g in gold)
