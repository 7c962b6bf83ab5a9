"""Sentence-level stance with real probabilities, for the offline model (issue 12, phase 1).

A 1.5B model asked for one label over long evidence answers with noise; asked a short Yes/No
question about one sentence it carries signal. So, per claim:
1. an English form of the claim (one short translation call when the claim is not English);
2. the few evidence sentences sharing most words with the claim (original or English form);
3. per sentence, P(Yes) for "does it state the claim is true", read from the next-token
   distribution; a three-way entailment question in the premise / hypothesis form instruction
   models were trained on (P(yes / no / maybe), the only probe whose "no" separates altered claims
   from unrelated ones); plus deterministic mismatches (numbers, dates, names, negation) between
   claim and sentence. (A "does it show the claim is false" Yes/No probe was asked until the
   entailment probe replaced it: it answered with similarity (REFUTED-vs-rest AUC 0.43); its prompt,
   prompts/stance_refute/v1, stays because call logs and caches name it.)
4. a fitted calibrator (verify/calibration.py) turns those features into P(SUPPORTED), P(REFUTED),
   P(NOT_ENOUGH_INFO); a verdict whose top probability is under the threshold abstains as
   NOT_ENOUGH_INFO with the reason.
"""

from __future__ import annotations

import math
import os
import pprint
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from .calibration import LABELS, Calibrator, decide
from .mismatch import Mismatch, mismatches, overlap
from .prompts import Prompt, load_prompt
from .text import split_sentences

TOP_SENTENCES = 2
# Written by bench/offline_judge.py --fit: a Python module, so that a wheel carries it.
CALIBRATION_FILE = Path(__file__).resolve().parent / "stance_calibration.py"
# The calibrator's inputs. The "shows it false" probe's features (refute_at_best, refute_max,
# support_minus_refute) are no longer computed: with the entailment probe beside them they lowered
# 5-fold balanced accuracy on the calibration split (0.615 against 0.650, bench/feature_cv.py), and
# the probe cost 1.6 s per call, 2.2 s per claim (mean over the bench cache, a loaded 2-core machine).
FEATURES = ["support_best", "overlap_best", "numbers_differ", "names_missing", "negation_differs",
            "contradict_at_best", "contradict_max", "entail_best"]
# The entailment probe's answer words, in the order entails / contradicts / neither.
NLI_ANSWERS = ("yes", "no", "maybe")


class ProbeModel(Protocol):
    """What the judge needs from a model: P(Yes) after a prompt, the probabilities of a few answer
    words (renormalised over them), and a short completion."""

    identity: str

    def p_yes(self, prompt: Prompt, **values: str) -> float: ...

    def p_choices(self, prompt: Prompt, answers: tuple[str, ...], **values: str) -> list[float]: ...

    def complete(self, prompt: Prompt, max_tokens: int, **values: str) -> str: ...


class SentenceStance(BaseModel):
    index: int                 # position of its passage in the evidence list
    text: str
    overlap: float
    p_support: float           # P(Yes) to "does the sentence state the claim is true"
    p_entail: float            # entailment probe: P(yes), P(no), P(maybe) over those three words
    p_contradict: float
    p_neutral: float
    mismatches: list[Mismatch]


class StanceVerdict(BaseModel):
    label: str
    probabilities: dict[str, float]
    confidence: float          # calibrated probability of `label`
    abstained: bool
    reason: str
    claim_en: str
    features: dict[str, float]
    sentences: list[SentenceStance]


@dataclass(frozen=True)
class StancePrompts:
    translate: Prompt
    support: Prompt
    nli: Prompt

    @classmethod
    def load(cls) -> "StancePrompts":
        return cls(translate=load_prompt("translate_claim"), support=load_prompt("stance_support"),
                   nli=load_prompt("stance_nli"))


# --- The model: llama.cpp in process, next-token probabilities -----------------------------------


class LlamaProbe:
    """Qwen-style chat prompts on an in-process llama.cpp model.

    Only the last token's logits are needed, so logits_all stays False and the logits are read from
    the context right after eval. Consecutive prompts share their beginning (system part, claim,
    sentence), so the common token prefix is kept in the KV cache and only the rest is evaluated.
    Few threads by default: on a shared 2-core machine one thread per core stalls whenever another
    process runs (issue 12 measured 3-4 s idle against 55-111 s beside one busy process).
    """

    def __init__(self, model_path: Path, n_threads: int = 1, n_ctx: int = 2048, identity: str = ""):
        from llama_cpp import Llama

        self._llama = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads,
                            n_threads_batch=n_threads, logits_all=False, seed=0, verbose=False)
        self._lock = threading.Lock()
        self.identity = identity or f"llama.cpp:{Path(model_path).name}"
        self._yes = self._single_token("Yes")
        self._no = self._single_token("No")

    def _single_token(self, word: str) -> int:
        ids = self._llama.tokenize(word.encode(), add_bos=False, special=False)
        if len(ids) != 1:
            raise ValueError(f"{word!r} is not one token for this model")
        return ids[0]

    @staticmethod
    def chat(system: str, user: str) -> str:
        return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
                f"<|im_start|>assistant\n")

    def p_yes(self, prompt: Prompt, **values: str) -> float:
        """P(Yes) / (P(Yes) + P(No)) for the first answer token."""
        logits = self._next_logits(self._prompt_tokens(prompt, values))
        return 1.0 / (1.0 + math.exp(float(logits[self._no]) - float(logits[self._yes])))

    def p_choices(self, prompt: Prompt, answers: tuple[str, ...], **values: str) -> list[float]:
        """P(answer) for each answer word, renormalised over them: the next-token probabilities of
        every case and leading-space variant of the answer's first token, summed."""
        ids = [self._first_tokens(word, answers) for word in answers]
        logits = self._next_logits(self._prompt_tokens(prompt, values))
        probs = np.exp(logits - logits.max())
        mass = np.array([probs[sorted(group)].sum() for group in ids])
        return (mass / mass.sum()).tolist()

    def _prompt_tokens(self, prompt: Prompt, values: dict[str, str]) -> list[int]:
        return self._llama.tokenize(self.chat(*prompt.render(**values)).encode(), add_bos=False, special=True)

    def _first_tokens(self, word: str, answers: tuple[str, ...]) -> set[int]:
        """First token ids of `word`, `Word`, `WORD`, with and without a leading space, leaving out a
        first token that could also begin another answer ("N" of "NO" and "NEITHER")."""
        out = set()
        for variant in {word.lower(), word.capitalize(), word.upper()}:
            for text in (variant, " " + variant):
                first = self._llama.tokenize(text.encode(), add_bos=False, special=False)[0]
                piece = self._llama.detokenize([first]).decode(errors="ignore").strip().lower()
                if piece and not any(other.lower().startswith(piece) for other in answers if other != word):
                    out.add(first)
        return out

    def _next_logits(self, tokens: list[int]) -> np.ndarray:
        """The next-token logits after `tokens` (a copy). Only the last token's logits are needed, and
        the prefix shared with the previous prompt stays in the KV cache."""
        from llama_cpp import llama_get_logits_ith

        with self._lock:
            llm = self._llama
            cached = llm.input_ids[: llm.n_tokens].tolist()
            keep = 0
            while keep < min(len(cached), len(tokens) - 1) and cached[keep] == tokens[keep]:
                keep += 1
            llm.n_tokens = keep          # eval() drops the KV cache after n_tokens
            llm.eval(tokens[keep:])
            return np.ctypeslib.as_array(llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)).astype(float)

    def complete(self, prompt: Prompt, max_tokens: int, **values: str) -> str:
        with self._lock:
            out = self._llama.create_completion(self.chat(*prompt.render(**values)), max_tokens=max_tokens,
                                                temperature=0.0, seed=0, stop=["<|im_end|>", "\n"])
        return out["choices"][0]["text"].strip()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model (the call log's usage)."""
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=True))


class SharedLlamaProbe(LlamaProbe):
    """A LlamaProbe on a chat model's Llama (verify/backends/qwen.py): one copy of the weights in memory.
    The chat loads the model on first use and owns the lock, so extraction and scoring never interleave
    on the one llama.cpp context."""

    def __init__(self, chat, identity: str):  # chat: a LlamaCppChat
        self._chat, self.identity = chat, identity
        self._yes, self._no = self._single_token("Yes"), self._single_token("No")

    @property
    def _llama(self):
        return self._chat._client()

    @property
    def _lock(self):
        return self._chat._lock


# --- The judge -----------------------------------------------------------------------------------


def english_claim(claim: str, language: str, model: ProbeModel, prompts: StancePrompts) -> str:
    if language.lower().startswith("en"):
        return claim
    translated = model.complete(prompts.translate, max_tokens=96, claim=claim)
    return translated or claim


def candidate_sentences(claims: list[str], evidence: list[str], top: int = TOP_SENTENCES) -> list[tuple[int, str, float]]:
    """(passage index, sentence, overlap) of the `top` sentences most like any form of the claim.

    Ties go to the earlier passage: the evidence list is in retrieval order.
    """
    scored = []
    for index, passage in enumerate(evidence):
        for start, end in split_sentences(passage) or [(0, len(passage))]:
            sentence = " ".join(passage[start:end].split())
            if sentence:
                scored.append((max(overlap(c, sentence) for c in claims), -index, sentence))
    scored.sort(reverse=True)
    return [(-neg_index, sentence, score) for score, neg_index, sentence in scored[:top]]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def claim_features(sentences: list[SentenceStance]) -> dict[str, float]:
    """One fixed-length vector per claim; zeros (and a low support) when there is no evidence."""
    if not sentences:
        low = _logit(1e-4)
        return dict.fromkeys(FEATURES, 0.0) | dict.fromkeys(
            ["support_best", "contradict_at_best", "contradict_max", "entail_best"], low)
    best = max(sentences, key=lambda s: s.p_support)
    kinds = [m.kind for m in best.mismatches]
    return {
        "support_best": _logit(best.p_support),
        "overlap_best": max(s.overlap for s in sentences),
        "numbers_differ": float(min(2, sum(k in ("number", "year", "month") for k in kinds))),
        "names_missing": float(min(3, kinds.count("name"))),
        "negation_differs": float("negation" in kinds),
        "contradict_at_best": _logit(best.p_contradict),
        "contradict_max": max(_logit(s.p_contradict) for s in sentences),
        "entail_best": max(_logit(s.p_entail) for s in sentences),
    }


def probe_sentences(claim: str, claim_en: str, evidence: list[str], model: ProbeModel,
                    prompts: StancePrompts, top: int = TOP_SENTENCES) -> list[SentenceStance]:
    forms = [claim_en] if claim_en == claim else [claim_en, claim]
    out = []
    for index, sentence, score in candidate_sentences(forms, evidence, top):
        # Ask in the claim's own words when the sentence shares more with them (same language).
        shown = max(forms, key=lambda c: overlap(c, sentence))
        p_support = model.p_yes(prompts.support, claim=shown, sentence=sentence)
        entail, contradict, neutral = model.p_choices(prompts.nli, NLI_ANSWERS, claim=shown, sentence=sentence)
        out.append(SentenceStance(
            index=index, text=sentence, overlap=score, p_support=p_support,
            p_entail=entail, p_contradict=contradict, p_neutral=neutral,
            mismatches=mismatches(shown, sentence),
        ))
    return out


def verdict(features: dict[str, float], calibrator: Calibrator, claim_en: str,
            sentences: list[SentenceStance]) -> StanceVerdict:
    p = calibrator.proba([features[name] for name in calibrator.feature_names])[0]
    label, abstained = decide(p, calibrator.abstain_below)
    probabilities = {lab: round(float(v), 4) for lab, v in zip(LABELS, p)}
    top = LABELS[int(np.argmax(p))]
    if abstained:
        reason = f"most likely {top} but only at p={p.max():.2f} (threshold {calibrator.abstain_below:.2f})"
    elif not sentences:
        reason = "no evidence sentence to check"
    else:
        best = max(sentences, key=lambda s: s.p_support)
        flags = "; ".join(m.detail for m in best.mismatches[:3]) or "no mismatch found"
        reason = f"best sentence: P(states claim)={best.p_support:.2f}, P(contradicts)={best.p_contradict:.2f}; {flags}"
    return StanceVerdict(label=label, probabilities=probabilities, confidence=round(float(p[LABELS.index(label)]), 4),
                         abstained=abstained, reason=reason, claim_en=claim_en, features=features, sentences=sentences)


def judge(claim: str, language: str, evidence: list[str], model: ProbeModel, calibrator: Calibrator,
          prompts: StancePrompts | None = None) -> StanceVerdict:
    prompts = prompts or StancePrompts.load()
    claim_en = english_claim(claim, language, model, prompts)
    sentences = probe_sentences(claim, claim_en, evidence, model, prompts)
    return verdict(claim_features(sentences), calibrator, claim_en, sentences)


def load_calibrator() -> Calibrator:
    from .errors import ConfigError

    try:
        from .stance_calibration import CALIBRATION
    except ImportError as exc:
        raise ConfigError(f"no stance calibration at {CALIBRATION_FILE}: run python bench/offline_judge.py --fit") from exc
    return Calibrator.model_validate(CALIBRATION)


def save_calibrator(calibrator: Calibrator, path: Path = CALIBRATION_FILE) -> None:
    """Write the fitted calibrator as a Python module (atomically: a reader never sees half of it)."""
    body = pprint.pformat(calibrator.model_dump(), width=110, sort_dicts=False)
    text = (f'"""Stance calibrator fitted by bench/offline_judge.py --fit on: {calibrator.fitted_on}.\n\n'
            'Generated file: re-fit rather than edit."""\n\n'
            f"CALIBRATION = {body}\n")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
