"""Keep llama.cpp's own log lines off the terminal.

llama-cpp-python's `verbose=False` does not do it: its log callback maps ggml's log levels with an
older numbering (ggml now counts NONE, DEBUG, INFO, WARN, ERROR, CONT from 0), so a WARN line such as
`llama_kv_cache_iswa: using full-size SWA cache` is printed as if it were an error, on every run of
a sliding-window model (the bundled Gemma 3). Those lines are for llama.cpp developers; a real load
failure still reaches the user as the Python exception llama-cpp-python raises. They go to the
`llama.cpp` logger at DEBUG instead, so `logging` can show them when someone needs them.
"""

from __future__ import annotations

import ctypes
import logging
import threading

log = logging.getLogger("llama.cpp")
_installed = None  # the ctypes callback must stay referenced while llama.cpp may call it
_lock = threading.Lock()


def silence_llama_cpp() -> None:
    """Route llama.cpp's log to the `llama.cpp` logger at DEBUG. Call after `import llama_cpp`
    (importing it installs llama-cpp-python's own callback) and before a model is loaded."""
    global _installed
    import llama_cpp

    with _lock:
        if _installed is None:
            @llama_cpp.llama_log_callback
            def to_debug_log(level: int, text: bytes, user_data) -> None:
                log.debug("%s", text.decode("utf-8", "replace").rstrip("\n"))

            _installed = to_debug_log
        llama_cpp.llama_log_set(_installed, ctypes.c_void_p(0))
