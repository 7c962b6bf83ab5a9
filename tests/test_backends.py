"""The backend registry, which network errors are retried, and the llama.cpp grammar converter
(a private llama-cpp-python API: these tests fail if its shape changes)."""

from __future__ import annotations

import inspect
import json

import httpx
import openai
import pytest
from langchain_core.exceptions import ModelInvalidRequestError, ModelTimeoutError

from tests.conftest import fake_settings, make_pipeline, seed_script
from tests.fakes import register_fake, scripted
from verify.backends import build_chat_model
from verify.backends.grammar import LOOSE_CHAR_RULE, STRICT_CHAR_RULE, _converter_class, schema_grammar
from verify.backends.transient import is_transient
from verify.config import Settings
from verify.errors import ConfigError

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


# --- the registry -----------------------------------------------------------------------------------


def test_fake_exists_only_while_a_test_registers_it():
    with pytest.raises(ConfigError, match=r"unknown model spec 'fake': use 'local' \(offline default, Qwen 1.5B\), 'local:gemma', .*'openai:<model>'"):
        build_chat_model(Settings(model="fake"))
    chat = scripted()
    register_fake(chat, model_id="scripted")
    assert build_chat_model(Settings(model="fake")) == (chat, "scripted")


def test_a_pipeline_reaches_the_fake_model_through_the_registry(seeded_run):
    chat = scripted(*seed_script())
    outcome = make_pipeline(chat, use_cache=False).run(str(seeded_run.article.source))
    assert len(chat.received) == 5 and {v.model for v in outcome.verdicts.values()} == {"fake-model"}


def test_built_in_backends_by_spec():
    chat, model_id = build_chat_model(Settings(model="openai:gpt-4o-mini", api_key="k"))
    assert model_id == "openai:gpt-4o-mini" and chat.model_name == "gpt-4o-mini" and chat.max_retries == 0
    chat, model_id = build_chat_model(Settings(model="llama3:8b", base_url="http://127.0.0.1:11434/v1"))
    assert model_id == "llama3:8b@http://127.0.0.1:11434/v1" and chat.model_name == "llama3:8b"
    with pytest.raises(ConfigError, match="needs an API key"):
        build_chat_model(Settings(model="openai:gpt-4o-mini"))
    with pytest.raises(ConfigError, match="no GGUF file at"):
        build_chat_model(fake_settings(model="local:/nowhere/model.gguf"))


# --- which errors are retried: by exception type, not by class name -----------------------------------


def test_transport_faults_are_recognised_by_type():
    response = httpx.Response(429, request=REQUEST, headers={"retry-after": "7"})
    assert is_transient(openai.RateLimitError("slow down", response=response, body=None))
    assert is_transient(openai.APITimeoutError(request=REQUEST))
    assert is_transient(openai.APIConnectionError(request=REQUEST))
    assert is_transient(openai.InternalServerError("boom", response=httpx.Response(503, request=REQUEST), body=None))
    assert is_transient(httpx.ReadTimeout("read timed out", request=REQUEST))
    assert is_transient(json.JSONDecodeError("Expecting value", '{"choices": [{"mess', 19))
    assert is_transient(ModelTimeoutError("any LangChain provider's timeout"))  # LangChain says: retryable
    try:
        try:
            raise httpx.ConnectError("refused", request=REQUEST)
        except httpx.ConnectError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as wrapped:
        assert is_transient(wrapped)  # a fault raised from a transport error


def test_an_error_merely_named_like_a_transport_fault_is_not_retried():
    class APITimeoutError(Exception):  # e.g. a backend's own error class that happens to share the name
        pass

    class ConnectError(ValueError):
        pass

    assert not is_transient(APITimeoutError("not an HTTP timeout"))
    assert not is_transient(ConnectError("not a dropped connection"))
    assert not is_transient(ModelInvalidRequestError("a request the provider refuses"))
    assert not is_transient(openai.BadRequestError("bad", response=httpx.Response(400, request=REQUEST), body=None))


# --- the llama.cpp grammar (private llama-cpp-python API, isolated in verify/backends/grammar.py) -------

SCHEMA = {
    "type": "object",
    "properties": {
        "rationale": {"type": "string"},
        "quote": {"enum": ['Il a dit : "non".', "C:\\dossier", "deux\nlignes"]},
        "label": {"enum": ["SUPPORTED", "REFUTED"]},
    },
    "required": ["rationale", "quote", "label"],
}


def gbnf_of(schema: dict) -> str:
    return schema_grammar(schema)._grammar


def test_the_private_converter_still_has_the_shape_we_override():
    from llama_cpp import llama_grammar

    init = inspect.signature(llama_grammar.SchemaConverter.__init__).parameters
    assert {"prop_order", "allow_fetch", "dotall", "raw_pattern"} <= set(init)
    assert list(inspect.signature(llama_grammar.SchemaConverter._format_literal).parameters) == ["self", "literal"]
    for method in ("resolve_refs", "visit", "format_grammar"):
        assert callable(getattr(_converter_class(), method))
    # The char rule we tighten is still written the way we replace it.
    assert LOOSE_CHAR_RULE in llama_grammar.json_schema_to_gbnf(json.dumps({"type": "string"}))


def test_enum_values_with_quotes_and_backslashes_become_valid_grammar_literals():
    from llama_cpp import llama_grammar

    gbnf = gbnf_of(SCHEMA)
    # Each enum value is its JSON text, GBNF-escaped: every backslash and quote escaped once more.
    for value in SCHEMA["properties"]["quote"]["enum"]:
        as_json = json.dumps(value, ensure_ascii=False)
        literal = '"' + as_json.replace("\\", "\\\\").replace('"', '\\"') + '"'
        assert literal in gbnf
    # Why not the public LlamaGrammar.from_json_schema: its literal for a quoted value ends early.
    public = llama_grammar.json_schema_to_gbnf(json.dumps(SCHEMA))
    assert '"\\"Il a dit : \\\\"non\\\\".\\""' not in gbnf and '"\\"Il a dit : \\\\"non' in public


def test_json_strings_admit_no_raw_control_characters_and_decisive_fields_come_first():
    gbnf = gbnf_of(SCHEMA)
    assert STRICT_CHAR_RULE in gbnf and LOOSE_CHAR_RULE not in gbnf
    root = next(line for line in gbnf.splitlines() if line.startswith("root ::="))
    assert root.index("label") < root.index("rationale") < root.index("quote")  # label first, then schema order
