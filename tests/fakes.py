"""Scripted chat models and reply builders shared by the tests.

`ScriptedChat` is LangChain's GenericFakeChatModel (it raises when the script runs out, unlike the
list-based fake that cycles) recording every prompt and kwargs it received. Replies are built from
the same pydantic models the parser uses, so a fake cannot drift from the parser; deliberately bad
replies are plain strings.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field

from verify.backends import Backend, register
from verify.extract import ProposingClaim, ProposingOutput, selection_schema
from verify.judge import JUDGE_PROMPT, reply_schema
from verify.models import ExtractedClaim, ExtractionOutput
from verify.prompts import parse_spec

JUDGE_VERSION = parse_spec(JUDGE_PROMPT)[1]  # the judge prompt new runs use


class ScriptedChat(GenericFakeChatModel):
    received: list[dict[str, Any]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs):
        self.received.append({"messages": list(messages), "kwargs": kwargs})
        result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        message = result.generations[0].message
        message.usage_metadata = {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}
        return result

    @property
    def prompts(self) -> list[str]:
        """The user message of every call, in order."""
        return [str(call["messages"][-1].content) for call in self.received]


def scripted(*replies: str | AIMessage) -> ScriptedChat:
    return ScriptedChat(messages=iter(replies))


def register_fake(chat: ScriptedChat, model_id: str = "fake-model") -> None:
    """Make the model spec `fake` build `chat`, through the same registry as the real backends
    (tests/conftest.py unregisters it after every test: outside the tests `fake` does not exist)."""
    register("fake", lambda settings: Backend(chat, model_id), usage="'fake' (tests only)")


def extraction_reply(*claims: tuple[str, ...]) -> str:
    """(quote, claim, claim_en) triples -> the JSON an extraction call returns (extract_claims/v1, which
    v2 reads as "claimant and date not given"); (quote, claim, claim_en, claimant, claim_date) tuples ->
    the v2 reply proposing who made the claim and when (None: the article does not say)."""
    if any(len(claim) == 5 for claim in claims):
        return ProposingOutput(claims=[ProposingClaim(quote=q, claim=c, claim_en=e, claimant=who, claim_date=when)
                                       for q, c, e, who, when in claims]).model_dump_json()
    return ExtractionOutput(claims=[ExtractedClaim(quote=q, claim=c, claim_en=e) for q, c, e in claims]).model_dump_json()


def judge_reply(label: str, citations: list[str | tuple[str, str]], rationale: str = "Because the evidence says so.",
                confidence: float = 0.8, allowed: list[str] | None = None, version: str = JUDGE_VERSION) -> str:
    """A judge reply validated against the schema of the judge prompt `version` (default: the one new
    runs use) for the given (or cited) sentence ids. A citation is an id, which gets the stance of the
    label's side ("refutes" for REFUTED, else "supports"), or an (id, stance) pair."""
    ids = [c if isinstance(c, str) else c[0] for c in citations]
    schema = reply_schema(allowed or ids or ["S1"], version)
    if version == "v1":
        return schema(rationale=rationale, citations=ids, label=label, confidence=confidence).model_dump_json()
    side = "refutes" if label == "REFUTED" else "supports"
    cited = [{"id": c, "stance": side} if isinstance(c, str) else {"id": c[0], "stance": c[1]} for c in citations]
    return schema(rationale=rationale, citations=cited, label=label, confidence=confidence).model_dump_json()


def selection_reply(*ids: str) -> str:
    return selection_schema(list(ids) or ["S1"])(sentence_ids=list(ids)).model_dump_json()
