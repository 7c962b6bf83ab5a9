"""Structured generation: a prompt and a pydantic schema in, a validated object out.

The schema becomes what the backend understands (a json_schema response format for OpenAI, a
json_object one carrying the schema for compatible servers, a grammar for in-process llama.cpp). An
invalid reply is asked again with the validation error fed back; after the last try a typed error
keeps the raw reply. It never invents a result.

One retry budget per call: at most `max_attempts + 2` requests (5 by default), whatever the mix of
invalid replies and transport faults; at most `max_attempts` (3) of them are replies checked against
the schema. Transport faults (timeouts, dropped connections, 429, 5xx) wait for the server's
Retry-After, else 0.5 s, 1 s, 2 s ... (at most 30 s); other errors are not retried. Every request is
logged, failed tries included, and only a reply that validated is ever served from the cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception

from .backends.grammar import grammar_friendly
from .backends.llamacpp import LlamaCppChat
from .backends.openai_compat import reports_model, served_model_of
from .backends.transient import is_transient, retry_after_seconds
from .calls import CallLog, CallRecord
from .config import Settings
from .errors import LLMCallError, LLMOutputError
from .models import PromptRef, Usage
from .prompts import Prompt
from .replycache import file_sha256, request_hash

EXTRA_TRANSPORT_TRIES = 2  # the budget's room for transport faults beyond the validation attempts


def response_format_for(settings: Settings, schema_name: str, schema: dict, grammar: dict | None = None) -> dict:
    """The response_format payload each backend understands.

    `grammar` is an optional tighter schema for in-process llama.cpp only (e.g. a quote restricted
    to the article's sentences): a weak local model can then only choose among valid values. What
    is parsed and stored is still validated against the ordinary schema.
    """
    mode = settings.response_format
    if mode == "auto":
        mode = "json_schema" if settings.model.startswith("openai:") and not settings.base_url else "json_object"
    if settings.is_local:
        return {"type": "json_object", "schema": grammar_friendly(grammar or schema)}
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": schema_name, "schema": schema, "strict": True}}
    return {"type": "json_object", "schema": schema}


def backoff_seconds(exc: BaseException, attempt: int, cap: float = 30.0) -> float:
    """Honour Retry-After when the server sends it; else exponential backoff."""
    retry_after = retry_after_seconds(exc)
    return min(cap, retry_after if retry_after is not None else 0.5 * 2 ** (attempt - 1))


@dataclass
class StructuredResult:
    value: BaseModel
    raw: str
    usage: Usage
    attempts: int


@dataclass
class Budget:
    """Requests one call may still send (see the module docstring)."""

    left: int
    transport_failures: int = 0


# (validated value or None, raw reply, usage, validation error)
Attempt = tuple[BaseModel | None, str, Usage, str]

PROBE_PROMPT = PromptRef(id="identify_model", version="v1",
                         sha256=hashlib.sha256(b"Reply with the word ok.").hexdigest())


@dataclass
class StructuredLLM:
    chat: BaseChatModel
    model_id: str
    settings: Settings
    calls: CallLog = field(default_factory=CallLog)
    sleep: Callable[[float], None] = time.sleep
    _identity: str | None = field(default=None, init=False, repr=False)
    _served: str | None = field(default=None, init=False, repr=False)
    _probed: bool = field(default=False, init=False, repr=False)
    _identity_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def max_requests(self) -> int:
        return max(1, self.settings.max_attempts) + EXTRA_TRANSPORT_TRIES

    def generate(
        self, prompt: Prompt, user: str, schema: type[BaseModel], *, purpose: str,
        run_id: str | None = None, claim_id: str | None = None, grammar: dict | None = None,
    ) -> StructuredResult:
        response_format = response_format_for(self.settings, schema.__name__, schema.model_json_schema(), grammar)
        messages: list[BaseMessage] = [SystemMessage(prompt.system), HumanMessage(user)]
        budget = Budget(left=self.max_requests)
        usage, raw, error, attempt = Usage(), "", "", 0
        while attempt < self.settings.max_attempts and budget.left > 0:
            attempt += 1
            request = self._request(messages, response_format, prompt.ref, purpose, run_id, claim_id)
            value, raw, call_usage, error = self._cached(request, schema) or self._fresh(
                messages, response_format, request, schema, budget)
            usage = usage + call_usage
            if value is not None:
                return StructuredResult(value=value, raw=raw, usage=usage, attempts=attempt)
            messages = messages + [
                AIMessage(raw),
                HumanMessage(
                    "Your reply did not match the required JSON schema:\n"
                    f"{error}\nReply again with only the corrected JSON object."
                ),
            ]
        raise LLMOutputError(f"no valid output after {attempt} attempt{'s' * (attempt != 1)}: {error}",
                             raw_output=raw, attempts=attempt, usage=usage)

    def _request(self, messages, response_format, prompt_ref, purpose, run_id, claim_id) -> CallRecord:
        """The log line every record of this request shares (cached, failed tries, the reply)."""
        dicts = [{"role": m.type, "content": str(m.content)} for m in messages]
        params = {
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_output_tokens,
            "response_format": response_format,
        }
        key = request_hash(self.cache_identity, dicts, params)
        return CallRecord(self.model_id, prompt_ref, purpose, key, dicts, params, response="", usage=Usage(),
                          run_id=run_id, claim_id=claim_id)

    def _cached(self, request: CallRecord, schema: type[BaseModel]) -> Attempt | None:
        """A cached reply, only if it validates and the same model made it. A reply that failed
        validation is never served (stores written before this rule cached every reply), so a resumed
        run asks the model again instead of replaying the same bad answer."""
        if not self.settings.use_cache:
            return None
        hit = self.calls.lookup(request.request_hash)
        if hit is None or not self._same_model(hit.get("served_model", ""), request.run_id):
            return None
        value, error = _validate(schema, hit["response"])
        if value is None:
            return None
        usage = Usage(**{**hit["usage"], "cached_calls": 1, "calls": 0, "latency_s": 0.0})
        self.calls.record(replace(request, response=hit["response"], usage=usage, cached=True,
                                  served_model=hit.get("served_model", "")))
        return value, hit["response"], usage, ""

    def _fresh(self, messages, response_format, request: CallRecord, schema: type[BaseModel],
               budget: Budget) -> Attempt:
        """Ask the model; the reply is logged with its validation error, if any (the store serves
        only replies logged without an error from its cache)."""
        message, usage = self._invoke_with_retries(messages, response_format, request, budget)
        served = self._learn_served_model(message)
        raw = _content_text(message)
        value, error = _validate(schema, raw)
        self.calls.record(replace(request, response=raw, usage=usage, served_model=served,
                                  error=f"invalid output: {error}" if error else ""))
        return value, raw, usage, error

    def _invoke_with_retries(self, messages, response_format, request: CallRecord,
                             budget: Budget) -> tuple[BaseMessage, Usage]:
        """Send the request, retrying transport faults while the call's budget lasts; every failed
        try is logged; other errors are not retried."""
        failures: list[Usage] = []

        def attempt() -> tuple[BaseMessage, Usage]:
            budget.left -= 1
            started = time.perf_counter()
            try:
                message = self.chat.invoke(messages, response_format=response_format)
            except Exception as exc:  # noqa: BLE001 - logged here, classified by the retry policy
                budget.transport_failures += 1
                failed = Usage(calls=1, latency_s=round(time.perf_counter() - started, 4))
                failures.append(failed)
                self.calls.record(replace(request, usage=failed, error=f"{type(exc).__name__}: {exc}"))
                raise
            return message, _usage_of(message, started)

        retrying = Retrying(
            stop=lambda state: budget.left <= 0,
            retry=retry_if_exception(is_transient),
            wait=lambda state: backoff_seconds(state.outcome.exception(), budget.transport_failures),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Exception as exc:  # noqa: BLE001 - whatever the endpoint raised, after the policy gave up
            raise LLMCallError(f"{type(exc).__name__}: {exc}", usage=sum(failures, Usage())) from exc

    # --- which model answers ---------------------------------------------------------------------

    @property
    def cache_identity(self) -> str:
        """What the reply cache keys on: a local GGUF file by its content hash (a renamed or replaced
        file is told apart); a server by model name and base URL (the model it reports is checked
        on every cache hit, see _same_model)."""
        if self._identity is None:
            path = getattr(self.chat, "model_path", None)
            if isinstance(self.chat, LlamaCppChat) and path:
                self._identity = f"local:sha256:{file_sha256(Path(path), self.settings.cache_dir)}"
            else:
                self._identity = self.model_id
        return self._identity

    def _same_model(self, served_then: str, run_id: str | None) -> bool:
        if not reports_model(self.chat):
            return True  # local files are identified by content in the key; test fakes by name
        served_now = self._served_model_now(run_id)
        return served_now is not None and served_then == served_now

    def _served_model_now(self, run_id: str | None) -> str | None:
        """The model the server says answers now: learned from the last reply, else asked once with a
        one-token completion (logged like any call). None if the server could not be asked."""
        with self._identity_lock:
            if self._served is None and not self._probed:
                self._probed = True
                self._served = self._probe_served_model(run_id)
            return self._served

    def _probe_served_model(self, run_id: str | None) -> str | None:
        messages = [HumanMessage("Reply with the word ok.")]
        dicts = [{"role": "human", "content": str(messages[0].content)}]
        record = CallRecord(self.model_id, PROBE_PROMPT, "identify_model", request_hash(self.cache_identity, dicts, {}),
                            dicts, {"max_tokens": 1}, response="", usage=Usage(), run_id=run_id)
        started = time.perf_counter()
        try:
            message = self.chat.invoke(messages, max_tokens=1)
        except Exception as exc:  # noqa: BLE001 - no cache hits then; the real calls report the fault
            usage = Usage(calls=1, latency_s=round(time.perf_counter() - started, 4))
            self.calls.record(replace(record, usage=usage, error=f"{type(exc).__name__}: {exc}"))
            return None
        served = served_model_of(message)
        self.calls.record(replace(record, response=_content_text(message), usage=_usage_of(message, started),
                                  served_model=served))
        return served

    def _learn_served_model(self, message: BaseMessage) -> str:
        served = served_model_of(message) if reports_model(self.chat) else ""
        if served:
            with self._identity_lock:
                self._served = served
        return served


def _validate(schema: type[BaseModel], raw: str) -> tuple[BaseModel | None, str]:
    try:
        return schema.model_validate_json(raw), ""
    except ValidationError as exc:
        return None, _short_errors(exc)


def _usage_of(message: BaseMessage, started: float) -> Usage:
    meta = getattr(message, "usage_metadata", None) or {}
    return Usage(
        prompt_tokens=meta.get("input_tokens", 0), completion_tokens=meta.get("output_tokens", 0),
        total_tokens=meta.get("total_tokens", 0), latency_s=round(time.perf_counter() - started, 4), calls=1,
    )


def _content_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _short_errors(exc: ValidationError, limit: int = 6) -> str:
    lines = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        lines.append(f"- {where}: {err.get('msg')}")
    return "\n".join(lines)
