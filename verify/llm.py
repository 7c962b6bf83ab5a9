"""Where the LLM code used to live, kept so `from verify.llm import ...` written before the split
still works. New code imports from the modules below: verify/backends/ (the registry, llama.cpp,
OpenAI and compatible servers), verify/structured.py (structured generation and its retry budget),
verify/replycache.py (what the cache keys on) and verify/calls.py (the call-log records)."""

from __future__ import annotations

from .backends import Backend, build_backend, build_chat_model, register, unregister  # noqa: F401
from .backends.grammar import GRAMMAR_PROPERTY_ORDER, grammar_friendly, schema_grammar  # noqa: F401
from .backends.llamacpp import LlamaCppChat, bundled_gguf_path  # noqa: F401
from .backends.transient import is_transient  # noqa: F401
from .calls import CallLog, CallRecord  # noqa: F401
from .replycache import file_sha256, request_hash  # noqa: F401
from .structured import StructuredLLM, StructuredResult, backoff_seconds, response_format_for  # noqa: F401
