"""Chat backends: a registry of model-spec prefixes, each a factory of a LangChain chat model.

A model spec `<prefix>:<rest>` (or a bare `<prefix>`) picks the factory registered under that
prefix; any other name goes to an OpenAI-compatible server when a base URL is set. The built-ins
(`local`, `openai`, `compatible`) register themselves below exactly as a plugin or a test would:
the tests register a scripted `fake` model with `register("fake", ...)`, and it exists only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from langchain_core.language_models.chat_models import BaseChatModel

from ..config import Settings
from ..errors import ConfigError


@dataclass(frozen=True)
class Backend:
    chat: BaseChatModel
    model_id: str  # recorded with every call and verdict


@dataclass(frozen=True)
class Registration:
    factory: Callable[[Settings], Backend]
    usage: str  # how the spec is written, for the unknown-spec error


COMPATIBLE = "compatible"  # the prefix-less spec used with a base URL
_registry: dict[str, Registration] = {}


def register(prefix: str, factory: Callable[[Settings], Backend], usage: str = "") -> None:
    """Make `<prefix>` and `<prefix>:...` model specs build their chat model with `factory`."""
    _registry[prefix] = Registration(factory, usage or f"'{prefix}'")


def unregister(prefix: str) -> None:
    _registry.pop(prefix, None)


def build_backend(settings: Settings) -> Backend:
    # A whole spec registered on its own (`local:qwen`) wins over its prefix (`local`).
    prefix = settings.model if settings.model in _registry else settings.model.partition(":")[0]
    if prefix in _registry:
        return _registry[prefix].factory(settings)
    if settings.base_url and COMPATIBLE in _registry:
        return _registry[COMPATIBLE].factory(settings)
    forms = [r.usage for r in _registry.values()]
    raise ConfigError(f"unknown model spec {settings.model!r}: use {', '.join(forms[:-1])}, or {forms[-1]}")


def build_chat_model(settings: Settings) -> tuple[BaseChatModel, str]:
    """(chat model, model id recorded with every call) for the configured model spec."""
    backend = build_backend(settings)
    return backend.chat, backend.model_id


from . import llamacpp, openai_compat, qwen  # noqa: E402,F401 - the built-ins register themselves on import
