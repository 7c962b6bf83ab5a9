"""The `openai:<model>` backend and any OpenAI-compatible server given a base URL (vLLM, Ollama,
llama-server): LangChain's ChatOpenAI. Also which model a server says answered."""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ..config import Settings
from ..errors import ConfigError
from . import COMPATIBLE, Backend, register


def openai_backend(settings: Settings) -> Backend:
    from langchain_openai import ChatOpenAI

    spec = settings.model
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
        # The SDK's own retries are off: they would spend requests outside the call's one budget
        # (verify/structured.py) and leave the failed tries out of the call log.
        max_retries=0,
    )
    model_id = f"{name}@{settings.base_url}" if settings.base_url else f"openai:{name}"
    return Backend(chat, model_id)


def reports_model(chat: BaseChatModel) -> bool:
    """OpenAI-compatible servers name the model that answered in every reply."""
    from langchain_openai.chat_models.base import BaseChatOpenAI

    return isinstance(chat, BaseChatOpenAI)


def served_model_of(message: BaseMessage) -> str:
    return str((getattr(message, "response_metadata", None) or {}).get("model_name") or "")


register("openai", openai_backend, usage="'openai:<model>'")
register(COMPATIBLE, openai_backend, usage="a model name together with --base-url")
