"""Settings from flags and environment variables, with offline defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

ENV_PREFIX = "VERIFY_"

DEFAULT_MODEL = "local"
DEFAULT_EMBEDDER = "use+minilm"
DEFAULT_COLLECTION = "sources"
DEMO_GRADE_WARNING = (
    "The 'local' model is Gemma 3 270M (base), a demo-grade model that proves the pipeline runs "
    "offline. Its claims and verdicts are NOT reliable: use --model openai:<model> or an "
    "OpenAI-compatible server (--base-url) for real fact-checking."
)

# USD per million tokens (input, output): OpenAI list prices as published when this was written.
# Override or extend with VERIFY_PRICES='{"model": [in, out]}' or VERIFY_PRICES=path/to/prices.json.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def load_prices() -> dict[str, tuple[float, float]]:
    """The price table with VERIFY_PRICES (inline JSON or a JSON file) applied on top."""
    prices = dict(PRICES_PER_MTOK)
    raw = os.environ.get(ENV_PREFIX + "PRICES", "").strip()
    if raw:
        text = raw if raw.startswith("{") else Path(raw).read_text(encoding="utf-8")
        prices.update({name: (float(v[0]), float(v[1])) for name, v in json.loads(text).items()})
    return prices


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def allow_private_urls() -> str:
    """VERIFY_ALLOW_PRIVATE_URLS: 1 lets URL sources reach private, loopback and link-local addresses (an
    intranet); a comma-separated list of addresses or networks allows only those. Off by default (SSRF)."""
    return (env("ALLOW_PRIVATE_URLS") or "").strip()


class Settings(BaseModel):
    """Everything a run needs to know; built from env vars, then overridden by CLI flags."""

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: str | None = None
    response_format: str = "auto"  # auto | json_schema | json_object
    embedder: str = DEFAULT_EMBEDDER
    db_path: Path = Path("verify.db")
    vectorstore: Path = Path("vectorstore")
    collection: str = DEFAULT_COLLECTION
    cache_dir: Path = Path.home() / ".cache" / "verify"
    top_k: int = 5
    concurrency: int = 4
    temperature: float = 0.0
    max_output_tokens: int = 768
    request_timeout_s: float = 120.0
    max_attempts: int = 3  # structured-output attempts per call (validation error fed back)
    extract_mode: str = "auto"  # auto | abstractive | extractive (auto: extractive for the bundled model)
    window_chars: int = 4000
    window_overlap: int = 600
    use_cache: bool = True
    max_input_bytes: int = 20_000_000
    url_timeout_s: float = 20.0
    n_ctx: int = 8192

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values: dict = {}
        mapping = {
            "model": "MODEL",
            "base_url": "BASE_URL",
            "api_key": "API_KEY",
            "response_format": "RESPONSE_FORMAT",
            "embedder": "EMBEDDER",
            "db_path": "DB",
            "vectorstore": "VECTORSTORE",
            "collection": "COLLECTION",
            "cache_dir": "CACHE_DIR",
            "top_k": "TOP_K",
            "concurrency": "CONCURRENCY",
            "max_input_bytes": "MAX_INPUT_BYTES",
            "request_timeout_s": "TIMEOUT",
            "extract_mode": "EXTRACT_MODE",
        }
        for field, name in mapping.items():
            value = env(name)
            if value not in (None, ""):
                values[field] = value
        if "api_key" not in values and os.environ.get("OPENAI_API_KEY"):
            values["api_key"] = os.environ["OPENAI_API_KEY"]
        if "base_url" not in values and os.environ.get("OPENAI_BASE_URL"):
            values["base_url"] = os.environ["OPENAI_BASE_URL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def extractive(self) -> bool:
        if self.extract_mode == "auto":
            return self.model == "local"
        return self.extract_mode == "extractive"

    @property
    def is_local(self) -> bool:
        return self.model == "local" or self.model.startswith("local:")
