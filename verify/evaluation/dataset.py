"""Labelled claim-verification sets (the JSONL format of docs/eval-format.md).

Loading validates every line and names the line of the first problem. The evidence of a set can be
turned into a source library (pooled evaluation) or into each claim's own passages (paired), and
gold evidence is matched against retrieved chunks by its text, so the same check works for the
pooled library and for a real library of source files (the seed set, whose evidence items are
sentences of seeds/sources/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Document, detect_language, normalise
from .errors import InputError
from .models import Chunk, SourceMeta, content_hash

THREE_WAY = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
TWO_WAY = ("REFUTED", "NOT_REFUTED")
REQUIRED = ("id", "claim", "label", "evidence")
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


@dataclass(frozen=True)
class EvalEvidence:
    source_id: str
    title: str
    text: str
    stance: str | None  # SUPPORTS | REFUTES | NOT_ENOUGH_INFO | None (not given)


@dataclass
class EvalClaim:
    id: str
    claim: str
    label: str
    language: str
    evidence: list[EvalEvidence]
    meta: dict = field(default_factory=dict)
    line: int = 0

    @property
    def claim_en(self) -> str:
        return str(self.meta.get("claim_en") or "")

    def gold(self) -> list[EvalEvidence]:
        """Evidence whose stance matches the label's direction; every item when no stance is given."""
        if any(e.stance for e in self.evidence):
            want = DIRECTION.get(self.label)
            return [e for e in self.evidence if want and e.stance == want]
        return list(self.evidence)


@dataclass
class EvalSet:
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
    missing = [name for name in REQUIRED if name not in row]
    if missing:
        raise DatasetError(f"{where}: missing field(s) {', '.join(missing)}")
    if not isinstance(row["claim"], str) or not row["claim"].strip():
        raise DatasetError(f"{where}: 'claim' must be a non-empty string")
    label = row["label"]
    if label not in THREE_WAY + TWO_WAY:
        raise DatasetError(f"{where}: unknown label {label!r} (expected one of {', '.join(THREE_WAY + TWO_WAY)})")
    if not isinstance(row["evidence"], list):
        raise DatasetError(f"{where}: 'evidence' must be a list")
    evidence = [parse_evidence(item, f"{where}: evidence[{i}]") for i, item in enumerate(row["evidence"])]
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    return EvalClaim(id=str(row["id"]), claim=row["claim"].strip(), label=label,
                     language=str(row.get("language") or "und"), evidence=evidence, meta=meta)


def parse_evidence(item, where: str) -> EvalEvidence:
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: expected an object")
    for name in ("source_id", "text"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise DatasetError(f"{where}: missing or empty '{name}'")
    stance = item.get("stance")
    if stance is not None:
        if str(stance).lower() not in STANCES:
            accepted = ", ".join(sorted(STANCES))
            raise DatasetError(f"{where}: unknown stance {stance!r} (accepted, any case: {accepted})")
        stance = STANCES[str(stance).lower()]
    return EvalEvidence(source_id=item["source_id"], title=str(item.get("title") or ""),
                        text=normalise(item["text"]), stance=stance)


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
