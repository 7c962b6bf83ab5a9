"""Judge one claim against its retrieved evidence, with citations to exact sentences.

The evidence is shown as numbered sentences (S1, S2, ...). The output schema restricts `citations`
to exactly those ids, so a schema-constrained backend cannot cite anything else, and the parser
rejects a reply that does. The program, not the model, fills in the cited text and its offsets.
A reply that never validates becomes a failed verdict that keeps the raw output: no label is
invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, create_model, model_validator

from .delimiters import neutralise
from .errors import LLMCallError, LLMOutputError
from .injection import find_instructions
from .structured import StructuredLLM
from .models import Citation, Claim, Evidence, EvidenceFlag, Label, Sentence, Strict, Usage, Verdict
from .prompts import Prompt


@dataclass(frozen=True)
class NumberedSentence:
    sid: str  # "S1", "S2", ... as shown to the model
    evidence: Evidence
    sentence: Sentence


def number_sentences(evidence: list[Evidence]) -> list[NumberedSentence]:
    numbered = []
    for item in evidence:
        for sentence in item.chunk.sentences:
            numbered.append(NumberedSentence(f"S{len(numbered) + 1}", item, sentence))
    return numbered


def render_evidence(evidence: list[Evidence], numbered: list[NumberedSentence]) -> str:
    """Passages as quoted data, each with its source line, sentences on their own numbered lines."""
    by_chunk: dict[str, list[NumberedSentence]] = {}
    for ns in numbered:
        by_chunk.setdefault(ns.evidence.chunk.id, []).append(ns)
    blocks = []
    for n, item in enumerate(evidence, start=1):
        src = item.chunk.source
        origin = ", ".join(part for part in (src.publisher, src.published) if part)
        lines = [f'<passage id="P{n}" source="{_attr(src.title)}"{f" origin={_q(origin)}" if origin else ""}>']
        lines += [f"{ns.sid}: {_flat(ns.sentence.text)}" for ns in by_chunk.get(item.chunk.id, [])]
        lines.append("</passage>")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "(no evidence was found in the source library)"


def _flat(text: str) -> str:
    # One sentence per line, and no way for a source to open or close our delimiters.
    return neutralise(" ".join(text.split()))


def _attr(text: str) -> str:
    return _flat(text).replace('"', "'")


def _q(text: str) -> str:
    return '"' + _attr(text) + '"'


def reply_schema(sentence_ids: list[str]) -> type[Strict]:
    """The judge's reply model, with cited ids limited to the ones shown (an enum in the schema)."""
    if sentence_ids:
        cited = (list[Literal[tuple(sentence_ids)]], Field(max_length=8))  # type: ignore[valid-type]
    else:
        cited = (list[str], Field(max_length=0))

    def needs_citation(self):
        if self.label != Label.NOT_ENOUGH_INFO and not self.citations:
            raise ValueError("SUPPORTED or REFUTED needs at least one cited sentence id")
        return self

    return create_model(
        "JudgeReply",
        __base__=Strict,
        __validators__={"needs_citation": model_validator(mode="after")(needs_citation)},
        rationale=(str, ...),
        citations=cited,
        label=(Label, ...),
        confidence=(float, Field(ge=0.0, le=1.0)),
    )


def local_grammar(schema: type[Strict], has_evidence: bool) -> dict:
    """For grammar-constrained local models: cite one to three sentences whenever there is evidence.
    A weak model otherwise answers SUPPORTED with no citation and burns every retry on it."""
    grammar = schema.model_json_schema()
    if has_evidence:
        grammar["properties"]["citations"].update(minItems=1, maxItems=3)
    return grammar


def judge_claim(claim: Claim, evidence: list[Evidence], llm: StructuredLLM, prompt: Prompt,
                language: str) -> Verdict:
    numbered = number_sentences(evidence)
    by_id = {ns.sid: ns for ns in numbered}
    _, user = prompt.render(language=language, claim=_flat(claim.text), claim_en=_flat(claim.text_en),
                            evidence=render_evidence(evidence, numbered))
    base = dict(id=f"{claim.id}-v", run_id=claim.run_id, claim_id=claim.id, model=llm.model_id, prompt=prompt.ref)
    try:
        schema = reply_schema(list(by_id))
        result = llm.generate(prompt, user, schema, purpose="judge", run_id=claim.run_id, claim_id=claim.id,
                              grammar=local_grammar(schema, bool(by_id)))
    except LLMOutputError as exc:
        return Verdict(**base, status="error", label=None, error=str(exc), raw_output=exc.raw_output,
                       usage=exc.usage or Usage(), evidence_flags=flag_evidence(numbered, []))
    except LLMCallError as exc:
        return Verdict(**base, status="error", label=None, error=str(exc), usage=exc.usage or Usage(),
                       evidence_flags=flag_evidence(numbered, []))
    reply = result.value
    citations = [to_citation(by_id[sid]) for sid in dict.fromkeys(reply.citations)]
    return Verdict(**base, status="ok", label=reply.label, rationale=reply.rationale.strip(),
                   confidence=reply.confidence, citations=citations, usage=result.usage, raw_output=result.raw,
                   evidence_flags=flag_evidence(numbered, citations))


def flag_evidence(numbered: list[NumberedSentence], citations: list[Citation]) -> list[EvidenceFlag]:
    """Every sentence shown to the model that reads as an instruction to it, marked by how the verdict
    relies on it: cited itself, in a cited passage, or not cited."""
    cited_sentences = {(c.chunk_id, c.sentence_index) for c in citations}
    cited_chunks = {c.chunk_id for c in citations}
    flags = []
    for ns in numbered:
        chunk_id, index = ns.evidence.chunk.id, ns.sentence.index
        cited = ("sentence" if (chunk_id, index) in cited_sentences else
                 "passage" if chunk_id in cited_chunks else "no")
        flags += [EvidenceFlag(chunk_id=chunk_id, source_id=ns.evidence.chunk.source.source_id, sentence_index=index,
                               text=ns.sentence.text, phrase=found.phrase, reason=found.reason, cited=cited)
                  for found in find_instructions(ns.sentence.text)]
    return flags


def to_citation(ns: NumberedSentence) -> Citation:
    return Citation(chunk_id=ns.evidence.chunk.id, source_id=ns.evidence.chunk.source.source_id,
                    sentence_index=ns.sentence.index, text=ns.sentence.text, start=ns.sentence.start,
                    end=ns.sentence.end)
