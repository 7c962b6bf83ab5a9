"""Typed errors. Each message says what went wrong and what to do about it."""

from __future__ import annotations


class VerifyError(Exception):
    """Base class: a clear, user-facing failure."""


class InputError(VerifyError):
    """An article or source could not be read (empty, binary, too large, unreachable...)."""


class EmbedderMismatch(VerifyError):
    """The vector store was built with another embedding model."""


class VectorStoreError(VerifyError):
    """The vector store folder is missing pieces or corrupted."""


class StoreError(VerifyError):
    """The SQLite store is locked, corrupted or from an unknown schema."""


class ConfigError(VerifyError):
    """A model or embedder spec that cannot be used as given."""


class LLMOutputError(VerifyError):
    """The model never produced valid output. Keeps what it did produce, for the record."""

    def __init__(self, message: str, raw_output: str, attempts: int, usage=None):
        super().__init__(message)
        self.raw_output = raw_output
        self.attempts = attempts
        self.usage = usage


class LLMCallError(VerifyError):
    """The model endpoint failed (timeout, HTTP error, connection dropped) after retries."""

    def __init__(self, message: str, usage=None):
        super().__init__(message)
        self.usage = usage
