"""Which model-call errors are worth retrying after a pause, by exception type.

LangChain's provider-independent model errors say so themselves (`ModelError.is_retryable`: rate
limits, 5xx, timeouts, unreachable servers; ChatOpenAI raises them as subclasses of the OpenAI SDK's
own errors). The SDK's and httpx's transport errors are listed too, for errors raised outside that
classification. A JSONDecodeError raised inside invoke is the HTTP body (truncated, garbled), never
the model's text (which is parsed later, by pydantic)."""

from __future__ import annotations

import json

import httpx
import openai
from langchain_core.exceptions import ModelError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
    httpx.TransportError,  # ConnectError, ReadTimeout ... from clients on httpx (the OpenAI SDK wraps its own)
    json.JSONDecodeError,
)
TRANSIENT_STATUS = {408, 409, 429, 500, 502, 503, 504}


def is_transient(exc: BaseException) -> bool:
    """The error, or one it was raised from, is a transport fault rather than a refused request."""
    for err in _causes(exc):
        if isinstance(err, ModelError) and err.is_retryable:
            return True
        if isinstance(err, TRANSIENT_ERRORS):
            return True
        if isinstance(err, openai.APIStatusError) and err.status_code in TRANSIENT_STATUS:
            return True  # 408 and 409 have no error class of their own
    return False


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's Retry-After header (seconds), if the error carries a response that sends one."""
    # Duck-typed: the response is httpx's, or httpx2's in the OpenAI SDKs that moved to it.
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: fall back to the exponential backoff
        return None


def _causes(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
