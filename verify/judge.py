"""Judge one claim against its retrieved evidence, with citations to exact sentences.

The evidence is shown as numbered sentences (S1, S2, ...). The output schema restricts `citations`
to exactly those ids, so a schema-constrained backend cannot cite anything else, and the parser
rejects a reply that does. The program, not the model, fills in the cited text and its offsets.
Since judge_claim/v2 the model also gives each cited sentence its own stance (supports / refutes),
stored on the citation, so a reader sees what each sentence says rather than the claim's verdict.
A reply that never validates becomes a failed verdict that keeps the raw output: no label is
invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, create_model, model_validator

from .delimiters import neutralise
from .errors import ConfigError, LLMCallError, LLMOutputError
from .injection import find_instructions
from .structured import StructuredLLM
from .models import Citation, Claim, Evidence, EvidenceFlag, Label, Sentence, Strict, Usage, Verdict
from .prompts import Prompt, load_prompt, parse_spec


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


# The prompt new runs judge with. Each prompt version has its own reply schema (REPLY_SCHEMAS): v1 asked
# for cited ids only; v2 asks for each cited sentence's own stance. Verdicts stored under v1 still load
# (their citations carry no stance, shown as "cited by the model").
JUDGE_PROMPT = "judge_claim/v2"

ModelStance = Literal["supports", "refutes"]  # what the model may say of a sentence it cites


def default_judge_prompt() -> Prompt:
    return load_prompt(*parse_spec(JUDGE_PROMPT))


def reply_schema(sentence_ids: list[str], version: str = "v2") -> type[Strict]:
    """The judge's reply model for a prompt version, with cited ids limited to the ones shown (an enum)."""
    if version not in REPLY_SCHEMAS:
        raise ConfigError(f"no judge reply schema for prompt version {version!r} (known: {', '.join(REPLY_SCHEMAS)})")
    return REPLY_SCHEMAS[version](sentence_ids)


def _cited_ids(sentence_ids: list[str]):
    if sentence_ids:
        return Literal[tuple(sentence_ids)]  # type: ignore[valid-type]
    return str


def _max_cited(sentence_ids: list[str]) -> int:
    return 8 if sentence_ids else 0


def _needs_citation(self):
    if self.label != Label.NOT_ENOUGH_INFO and not self.citations:
        raise ValueError("SUPPORTED or REFUTED needs at least one cited sentence id")
    return self


def _reply_v1(sentence_ids: list[str]) -> type[Strict]:
    """judge_claim/v1: `citations` is a list of sentence ids."""
    return create_model(
        "JudgeReply",
        __base__=Strict,
        __validators__={"needs_citation": model_validator(mode="after")(_needs_citation)},
        rationale=(str, ...),
        citations=(list[_cited_ids(sentence_ids)], Field(max_length=_max_cited(sentence_ids))),
        label=(Label, ...),
        confidence=(float, Field(ge=0.0, le=1.0)),
    )


def _stances_agree(self):
    """A sentence has one stance, and a verdict must rest on at least one sentence on its side: SUPPORTED
    citing only refuting sentences (or REFUTED only supporting ones) contradicts itself. Refused so the
    model is asked again with this error, never silently relabelled."""
    stances: dict[str, str] = {}
    for cited in self.citations:
        if stances.setdefault(cited.id, cited.stance) != cited.stance:
            raise ValueError(f"{cited.id} is cited both as supporting and as refuting the claim: give it one stance")
    needed = {Label.SUPPORTED: "supports", Label.REFUTED: "refutes"}.get(self.label)
    if needed and stances and needed not in stances.values():
        verb = {"supports": "support", "refutes": "refute"}
        other = "refutes" if needed == "supports" else "supports"
        raise ValueError(f"a {self.label.value} verdict cites only sentences that {verb[other]} the claim: cite at "
                         f"least one sentence that {verb[needed]}s it, or change the label")
    return self


def _reply_v2(sentence_ids: list[str]) -> type[Strict]:
    """judge_claim/v2: each citation is {"id": <shown sentence id>, "stance": "supports" | "refutes"}."""
    cited = create_model(
        "CitedSentence",
        __base__=Strict,
        id=(_cited_ids(sentence_ids), ...),
        stance=(ModelStance, ...),
    )
    return create_model(
        "JudgeReply",
        __base__=Strict,
        __validators__={"needs_citation": model_validator(mode="after")(_needs_citation),
                        "stances_agree": model_validator(mode="after")(_stances_agree)},
        rationale=(str, ...),
        citations=(list[cited], Field(max_length=_max_cited(sentence_ids))),
        label=(Label, ...),
        confidence=(float, Field(ge=0.0, le=1.0)),
    )


REPLY_SCHEMAS = {"v1": _reply_v1, "v2": _reply_v2}


def local_grammar(schema: type[Strict], has_evidence: bool) -> dict:
    """For grammar-constrained local models: cite one to three sentences whenever there is evidence.
    A weak model otherwise answers SUPPORTED with no citation and burns every retry on it."""
    grammar = schema.model_json_schema()
    if has_evidence:
        grammar["properties"]["citations"].update(minItems=1, maxItems=3)
    return grammar


def is_calibrated(llm: StructuredLLM) -> bool:
    """The backend scores stances itself (its chat model offers `stance_probe()`, verify/backends/qwen.py)."""
    return callable(getattr(getattr(llm, "chat", None), "stance_probe", None))


def judge_claim(claim: Claim, evidence: list[Evidence], llm: StructuredLLM, prompt: Prompt,
                language: str) -> Verdict:
    if is_calibrated(llm):  # calibrated scorer (local:qwen): no JSON prompt
        from .judge_calibrated import judge_calibrated

        return judge_calibrated(claim, evidence, llm, language)
    numbered = number_sentences(evidence)
    by_id = {ns.sid: ns for ns in numbered}
    _, user = prompt.render(language=language, claim=_flat(claim.text), claim_en=_flat(claim.text_en),
                            evidence=render_evidence(evidence, numbered))
    base = dict(id=f"{claim.id}-v", run_id=claim.run_id, claim_id=claim.id, model=llm.model_id, prompt=prompt.ref)
    try:
        schema = reply_schema(list(by_id), prompt.ref.version)
        result = llm.generate(prompt, user, schema, purpose="judge", run_id=claim.run_id, claim_id=claim.id,
                              grammar=local_grammar(schema, bool(by_id)))
    except LLMOutputError as exc:
        return Verdict(**base, status="error", label=None, error=str(exc), raw_output=exc.raw_output,
                       usage=exc.usage or Usage(), evidence_flags=flag_evidence(numbered, []))
    except LLMCallError as exc:
        return Verdict(**base, status="error", label=None, error=str(exc), usage=exc.usage or Usage(),
                       evidence_flags=flag_evidence(numbered, []))
    reply = result.value
    citations = [to_citation(by_id[sid], stance) for sid, stance in cited_stances(reply.citations).items()]
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


def cited_stances(cited: list) -> dict[str, str | None]:
    """Cited ids in order, once each, with the stance the model gave (None for v1 replies: ids only)."""
    stances: dict[str, str | None] = {}
    for item in cited:
        sid, stance = (item, None) if isinstance(item, str) else (item.id, item.stance)
        stances.setdefault(sid, stance)
    return stances


def to_citation(ns: NumberedSentence, stance: str | None = None) -> Citation:
    return Citation(chunk_id=ns.evidence.chunk.id, source_id=ns.evidence.chunk.source.source_id,
                    sentence_index=ns.sentence.index, text=ns.sentence.text, start=ns.sentence.start,
                    end=ns.sentence.end, stance=stance)
