"""Judging with calibrated probabilities (issue 12): the judge of backends that score stances (`local:qwen`).

A backend whose chat model offers `stance_probe()` (verify/backends/qwen.py) is not asked the JSON
judge prompt: verify/stance.py scores the evidence sentences most like the claim with Yes/No
probabilities, adds the deterministic mismatches, and its fitted calibrator gives P(SUPPORTED),
P(REFUTED), P(NOT_ENOUGH_INFO). The stored Verdict carries the calibrated probability of its label
as `confidence`, the stance prompts as its prompt (verify/model_signals.py shows such a confidence
as a measured probability), the scored sentences that support or refute as citations with their own
stance, and readable lines (probabilities, abstention reason, each sentence, the differences found)
as its rationale.

Every probe goes through the store's call log like any model call: logged with its prompt, tokens
and time, and answered from the reply cache on a re-run, so a resumed run costs nothing twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

from .calibration import LABELS, Calibrator, decide
from .calls import CallRecord
from .judge import NumberedSentence, flag_evidence, is_calibrated, number_sentences, to_citation
from .models import Citation, Claim, Evidence, Usage, Verdict
from .prompts import Prompt
from .replycache import request_hash
from .stance import (ProbeModel, SentenceStance, StancePrompts, StanceVerdict, claim_features, english_claim,
                     load_calibrator, probe_sentences)
from .stance import verdict as stance_verdict
from .structured import StructuredLLM

# A sentence's stance: the calibrated label it would give the claim on its own.
SENTENCE_STANCE = {"SUPPORTED": "supports", "REFUTED": "refutes", "NOT_ENOUGH_INFO": "unrelated"}


def stance_probe_of(llm: StructuredLLM) -> ProbeModel | None:
    """The backend's stance scorer, or None for a backend judged by the JSON prompt."""
    return llm.chat.stance_probe() if is_calibrated(llm) else None


def judge_prompt_of(llm: StructuredLLM) -> Prompt | None:
    """The prompt a run records as its judge prompt when this judge is used (None otherwise)."""
    return StancePrompts.load().support if is_calibrated(llm) else None


class LoggedProbe:
    """A ProbeModel whose every call is logged in the store's call log and served from its cache."""

    def __init__(self, probe: ProbeModel, llm: StructuredLLM, run_id: str | None, claim_id: str | None):
        self.probe, self.llm, self.run_id, self.claim_id = probe, llm, run_id, claim_id
        self.identity = probe.identity
        self.usage = Usage()

    def p_yes(self, prompt: Prompt, **values: str) -> float:
        reply = self._call(prompt, "stance", {"answer": "P(Yes)/(P(Yes)+P(No))", "temperature": 0.0}, values,
                           lambda: f"{self.probe.p_yes(prompt, **values):.6f}")
        return float(reply)

    def p_choices(self, prompt: Prompt, answers: tuple[str, ...], **values: str) -> list[float]:
        reply = self._call(prompt, "stance", {"answer": f"P({'/'.join(answers)}) renormalised", "temperature": 0.0},
                           values, lambda: json.dumps([round(p, 6) for p in self.probe.p_choices(prompt, answers, **values)]))
        return [float(p) for p in json.loads(reply)]

    def complete(self, prompt: Prompt, max_tokens: int, **values: str) -> str:
        return self._call(prompt, "translate", {"max_tokens": max_tokens, "temperature": 0.0}, values,
                          lambda: self.probe.complete(prompt, max_tokens, **values))

    def _call(self, prompt: Prompt, purpose: str, params: dict, values: dict, ask) -> str:
        system, user = prompt.render(**values)
        messages = [{"role": "system", "content": system}, {"role": "human", "content": user}]
        request = CallRecord(self.llm.model_id, prompt.ref, purpose,
                             request_hash(self.llm.cache_identity, messages, params), messages, params,
                             response="", usage=Usage(), run_id=self.run_id, claim_id=self.claim_id)
        hit = self.llm.calls.lookup(request.request_hash) if self.llm.settings.use_cache else None
        if hit is not None:
            usage = Usage(**{**hit["usage"], "cached_calls": 1})
            self._log(replace(request, response=hit["response"], usage=usage, cached=True))
            return hit["response"]
        started = time.perf_counter()
        try:
            reply = ask()
        except Exception as exc:  # noqa: BLE001 - logged, then the verdict fails with it
            self._log(replace(request, usage=Usage(calls=1, latency_s=_since(started)),
                              error=f"{type(exc).__name__}: {exc}"))
            raise
        self._log(replace(request, response=reply, usage=self._usage(system, user, reply, purpose, started)))
        return reply

    def _usage(self, system: str, user: str, reply: str, purpose: str, started: float) -> Usage:
        count = getattr(self.probe, "count_tokens", None)
        if count is None:
            return Usage(calls=1, latency_s=_since(started))
        prompt_tokens = count(self.probe.chat(system, user)) if hasattr(self.probe, "chat") else count(system + user)
        completion = count(reply) if purpose == "translate" else 0  # a probe reads one distribution, writes nothing
        return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion,
                     total_tokens=prompt_tokens + completion, calls=1, latency_s=_since(started))

    def _log(self, record: CallRecord) -> None:
        self.usage = self.usage + record.usage
        self.llm.calls.record(record)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def needs_translation(claim: Claim, language: str) -> bool:
    return not language.lower().startswith("en") and (not claim.text_en.strip() or claim.text_en == claim.text)


def with_english_forms(claims: list[Claim], language: str, llm: StructuredLLM) -> list[Claim]:
    """Claims with the model's English form where they have none (extractive extraction repeats the
    claim), for the second retrieval query and the judge. Other backends' claims are returned as they are.
    A failed translation keeps the claim's own wording (the failure is in the call log)."""
    if not is_calibrated(llm):
        return claims
    prompts, done = StancePrompts.load(), []
    for claim in claims:
        if needs_translation(claim, language):
            probe = LoggedProbe(stance_probe_of(llm), llm, claim.run_id, claim.id)
            try:
                claim = claim.model_copy(update={"text_en": english_claim(claim.text, language, probe, prompts)})
            except Exception:  # noqa: BLE001 - logged by LoggedProbe; judging still works on the original
                pass
        done.append(claim)
    return done


def judge_calibrated(claim: Claim, evidence: list[Evidence], llm: StructuredLLM, language: str,
                     calibrator: Calibrator | None = None) -> Verdict:
    """The verdict of the calibrated stance judge; a model failure is a failed verdict, never a label."""
    calibrator = calibrator or load_calibrator()  # ConfigError if the package lost its calibration
    prompts = StancePrompts.load()
    numbered = number_sentences(evidence)
    probe = LoggedProbe(stance_probe_of(llm), llm, claim.run_id, claim.id)
    base = dict(id=f"{claim.id}-v", run_id=claim.run_id, claim_id=claim.id, model=llm.model_id,
                prompt=prompts.support.ref)
    try:
        claim_en = (english_claim(claim.text, language, probe, prompts) if needs_translation(claim, language)
                    else claim.text_en or claim.text)
        sentences = probe_sentences(claim.text, claim_en, [ns.sentence.text for ns in numbered], probe, prompts)
    except Exception as exc:  # noqa: BLE001 - the model failed: no label is invented
        return Verdict(**base, status="error", label=None, error=f"{type(exc).__name__}: {exc}", usage=probe.usage,
                       evidence_flags=flag_evidence(numbered, []))
    scored = stance_verdict(claim_features(sentences), calibrator, claim_en, sentences)
    stances = [sentence_stance(s, calibrator) for s in sentences]
    citations = cited(numbered, sentences, stances)
    return Verdict(**base, status="ok", label=scored.label, confidence=scored.confidence,
                   rationale=rationale(scored, claim, calibrator, stances),
                   citations=citations, usage=probe.usage, raw_output=scored.model_dump_json(),
                   evidence_flags=flag_evidence(numbered, citations))


def cited(numbered: list[NumberedSentence], sentences: list[SentenceStance], stances: list[str]) -> list[Citation]:
    """The scored sentences that support or refute the claim, each with its stance; when none does, every
    scored sentence as 'unrelated', so a reader sees what was checked (a heading is not cited beside a
    sentence that supports)."""
    pairs = [(s, stance) for s, stance in zip(sentences, stances) if stance != "unrelated"] or list(zip(sentences, stances))
    return [to_citation(numbered[s.index], stance) for s, stance in pairs]


def sentence_stance(sentence: SentenceStance, calibrator: Calibrator) -> str:
    """What the calibrated judge would say with this sentence as the only evidence."""
    features = claim_features([sentence])
    label, _ = decide(calibrator.proba([features[n] for n in calibrator.feature_names])[0], calibrator.abstain_below)
    return SENTENCE_STANCE[label]


def rationale(scored: StanceVerdict, claim: Claim, calibrator: Calibrator, stances: list[str]) -> str:
    """Readable lines: the probabilities, why it abstained, the English form checked, each sentence."""
    shown = " · ".join(f"{label} {scored.probabilities[label]:.2f}" for label in LABELS)
    lines = [f"Calibrated probabilities: {shown} (abstains below {calibrator.abstain_below:.2f})."]
    if scored.abstained:
        lines.append(f"Abstained: {scored.reason}.")
    if scored.claim_en != claim.text:
        lines.append(f"Checked in English as: {scored.claim_en}")
    if not scored.sentences:
        lines.append("No evidence sentence to check.")
    for n, (sentence, stance) in enumerate(zip(scored.sentences, stances), start=1):
        found = "; ".join(m.detail for m in sentence.mismatches[:3]) or "no difference in numbers, dates, names or negation"
        lines.append(f"Sentence {n} ({stance}): P(states the claim)={sentence.p_support:.2f}, "
                     f"P(contradicts)={sentence.p_contradict:.2f}; {found}. “{_short(sentence.text)}”")
    return "\n".join(lines)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
