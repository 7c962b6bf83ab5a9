"""The LLM call log's records, apart from llm.py: the store writes and reads them without importing
any model code, so the dashboard and the report never load LangChain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .models import PromptRef, Strict, Usage


@dataclass
class CallRecord:
    """What the store logs for every LLM call (cached or not)."""

    model: str
    prompt: PromptRef
    purpose: str
    request_hash: str
    messages: list[dict]
    params: dict
    response: str
    usage: Usage
    error: str = ""  # transport error, or "invalid output: ..." for a reply that failed validation
    cached: bool = False
    run_id: str | None = None
    claim_id: str | None = None
    served_model: str = ""  # the model the server said answered (remote backends)


@dataclass
class CallLog:
    """Where calls are recorded and cached; the store implements it (see verify/store/call_log.py)."""

    lookup: Callable[[str], dict | None] = lambda key: None
    record: Callable[[CallRecord], None] = lambda rec: None


class LoggedCall(Strict):
    """One row of the call log as stored: a CallRecord plus where and when it was logged."""

    id: int
    created_at: str
    run_id: str | None
    claim_id: str | None
    purpose: str
    model: str
    served_model: str
    prompt: PromptRef
    request_hash: str
    params: dict
    messages: list[dict]
    response: str
    usage: Usage
    error: str
    cached: bool
