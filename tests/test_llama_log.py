"""llama.cpp's own log lines stay off the terminal on a local run (issue 13, item 11)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.real_models

LOAD = """
from pathlib import Path
from verify.backends.llamacpp import LlamaCppChat, bundled_gguf_path
gguf = bundled_gguf_path(Path({cache!r}))
LlamaCppChat(model_path=str(gguf), n_ctx=1024)._client()
print("loaded")
"""


def test_loading_the_bundled_model_prints_nothing_from_llama_cpp(tmp_path):
    # A subprocess: llama.cpp writes to file descriptor 2 from C, which pytest's capture cannot see.
    done = subprocess.run([sys.executable, "-c", LOAD.format(cache=str(tmp_path))], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded"
    assert "llama_kv_cache" not in done.stderr and done.stderr.strip() == ""
