"""Settings from flags and environment variables, with offline defaults.

Every VERIFY_* variable is read here, by pydantic-settings: a malformed value (VERIFY_TOP_K=five,
VERIFY_DB_TIMEOUT=30s, an embedder typo) is refused before anything is opened or created, with one
line naming the variable (or flag) and the form it accepts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

ENV_PREFIX = "VERIFY_"

DEFAULT_MODEL = "local"
DEFAULT_EMBEDDER = "use+minilm"
DEFAULT_COLLECTION = "sources"

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

# Embedder names build_embedder (verify/embed.py) knows, and whether each takes / needs an argument.
# Checked when settings are read, so a typo is refused before a collection is stamped with it.
EMBEDDER_ARGS: dict[str, Literal["none", "optional", "required"]] = {
    "use": "none", "minilm": "none", "e5": "none", "hash": "optional", "sbert": "required", "openai": "optional",
}
EMBEDDER_FORM = "use, minilm, e5, sbert:<model>, openai:<model>, hash[:<dimensions>], or a+b"


def check_embedder_spec(spec: str) -> str:
    """The spec unchanged if build_embedder can build it; a ValueError saying why not otherwise."""
    for part in spec.split("+"):
        name, colon, arg = part.strip().partition(":")
        kind = EMBEDDER_ARGS.get(name)
        if kind is None:
            raise ValueError(f"unknown embedder {part!r}")
        if kind == "none" and colon:
            raise ValueError(f"the {name!r} embedder takes no ':' argument")
        if kind == "required" and not arg:
            raise ValueError(f"{name} needs a model: {name}:<hub name or local folder>")
        if name == "hash" and arg and not (arg.isdigit() and int(arg) > 0):
            raise ValueError(f"hash:{arg}: the dimension must be a whole number above 0")
    return spec


def load_prices(raw: str | None = None) -> dict[str, tuple[float, float]]:
    """The price table with VERIFY_PRICES (inline JSON or a JSON file) applied on top."""
    raw = (os.environ.get(ENV_PREFIX + "PRICES", "") if raw is None else raw).strip()
    prices = dict(PRICES_PER_MTOK)
    if raw:
        try:
            prices.update(_parse_prices(raw))
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise ConfigError(f"VERIFY_PRICES is not valid ({exc}): give inline JSON like "
                              '\'{"model": [input, output]}\' (USD per million tokens) or a JSON file') from exc
    return prices


def _parse_prices(raw: str) -> dict[str, tuple[float, float]]:
    text = raw if raw.startswith("{") else Path(raw).read_text(encoding="utf-8")
    return {name: (float(v[0]), float(v[1])) for name, v in json.loads(text).items()}


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def allow_private_urls() -> str:
    """VERIFY_ALLOW_PRIVATE_URLS: 1 lets URL sources reach private, loopback and link-local addresses (an
    intranet); a comma-separated list of addresses or networks allows only those. Off by default (SSRF)."""
    return (env("ALLOW_PRIVATE_URLS") or "").strip()


def rating_scale_file() -> str:
    """VERIFY_RATING_SCALE: the newsroom's ClaimReview rating scale file (verify/rating_scale.py checks it
    where it is used: the ClaimReview export and the dashboard); empty: the built-in English scale."""
    return (env("RATING_SCALE") or "").strip()


def _env(*names: str) -> AliasChoices:
    """A field read from these variables (first set wins); the field name still works in code
    (populate_by_name), and no unprefixed variable such as DB_PATH is ever read."""
    return AliasChoices(*names)


# Command-line flags of the fields that have one: an error names the flag when the value came from it.
FLAGS = {"model": "--model", "base_url": "--base-url", "embedder": "--embedder", "db_path": "--db",
         "vectorstore": "--vectorstore", "collection": "--collection", "top_k": "--top-k",
         "concurrency": "--concurrency"}


class Settings(BaseModel):
    """Everything a run needs to know. `Settings.from_env(**flags)`: defaults, then VERIFY_* variables,
    then flags; `Settings(...)` alone is the defaults and what it is given (tests, benchmarks)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str = DEFAULT_MODEL
    base_url: str | None = Field(None, validation_alias=_env("VERIFY_BASE_URL", "OPENAI_BASE_URL"))
    api_key: str | None = Field(None, validation_alias=_env("VERIFY_API_KEY", "OPENAI_API_KEY"))
    response_format: Literal["auto", "json_schema", "json_object"] = "auto"
    embedder: str = Field(DEFAULT_EMBEDDER, description=f"an embedder spec: {EMBEDDER_FORM}")
    # A file (SQLite, the embedded default), or a PostgreSQL URL for a team: kept a string, as a Path would fold its "//".
    db_path: Path | str = Field(Path("verify.db"), validation_alias=_env("VERIFY_DB"),
                                description="a file path, sqlite:///path or postgresql://user:password@host/db")
    # A folder (embedded Chroma), or a Chroma server's URL: kept a string, as a Path would fold its "//".
    vectorstore: Path | str = Field(Path("vectorstore"), description="a folder, or a Chroma server as http://host:port")
    collection: str = DEFAULT_COLLECTION
    cache_dir: Path = Path.home() / ".cache" / "verify"
    top_k: int = Field(5, ge=1, le=50, description="a whole number of passages from 1 to 50, e.g. 5")
    concurrency: int = Field(4, ge=1, description="a whole number of calls at once, at least 1, e.g. 4")
    temperature: float = 0.0
    max_output_tokens: int = 768
    request_timeout_s: float = Field(120.0, gt=0, validation_alias=_env("VERIFY_TIMEOUT"),
                                     description="a number of seconds above 0, e.g. 120")
    db_timeout_s: float = Field(30.0, ge=0, validation_alias=_env("VERIFY_DB_TIMEOUT"),
                                description="a number of seconds, e.g. 30 (not 30s)")
    embed_threads: int | None = Field(None, ge=1, description="a whole number of threads, at least 1, e.g. 1")
    prices: str = Field("", description="inline JSON like '{\"model\": [input, output]}' or a JSON file")
    max_attempts: int = 3  # structured-output attempts per call (validation error fed back)
    extract_mode: Literal["auto", "abstractive", "extractive"] = "auto"  # auto: extractive for the offline models
    window_chars: int = 4000
    window_overlap: int = 600
    use_cache: bool = True
    max_input_bytes: int = Field(20_000_000, ge=1, description="a whole number of bytes, e.g. 20000000")
    url_timeout_s: float = 20.0
    n_ctx: int = 8192
    # Zone the dashboard shows review times in (an IANA name, e.g. Europe/Paris); empty: the server's own zone.
    timezone: str = Field("", description="an IANA time zone name, e.g. Europe/Paris or UTC")
    # Team use (verify/roles.py): a streamlit-authenticator users file (hashed passwords, roles), and/or the
    # header an authenticating reverse proxy puts the user in. Neither set: one person, no login.
    auth_config: Path | None = Field(None, description="the path of an existing YAML users file")
    trusted_user_header: str = Field("", description="an HTTP header name, e.g. X-Forwarded-User")
    # Team batches (verify/queue.py): the PostgreSQL database holding the task queue `verify batch` fills and
    # `verify worker` processes take from; empty: no queue (one person runs `verify run`).
    queue: str = Field("", description="a PostgreSQL URL, e.g. postgresql://verify@db-host:5432/verify")

    @field_validator("vectorstore", mode="before")
    @classmethod
    def _folder_or_server(cls, value):
        from .chroma_server import check_url, is_server

        return check_url(value) if is_server(value) else Path(value)

    @field_validator("db_path", mode="before")
    @classmethod
    def _file_or_postgres(cls, value):
        from .store.location import parse

        return parse(value)

    @field_validator("queue")
    @classmethod
    def _postgres_url(cls, url: str) -> str:
        if url.strip() and not url.strip().startswith(("postgresql://", "postgres://")):
            raise ValueError("not a postgresql:// URL")
        return url.strip()

    @field_validator("auth_config")
    @classmethod
    def _users_file_exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no file at {path}")
        return path

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, spec: str) -> str:
        return check_embedder_spec(spec)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        if name.strip():
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(name.strip())
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {name!r}") from exc
        return name.strip()

    @field_validator("prices")
    @classmethod
    def _readable_prices(cls, raw: str) -> str:
        if raw.strip():
            try:
                _parse_prices(raw.strip())
            except (OSError, TypeError, IndexError) as exc:
                raise ValueError(str(exc)) from exc
        return raw

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from the environment with `overrides` (flags) on top; a bad value is a ConfigError."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        try:
            return _EnvSettings(**overrides)
        except ValidationError as exc:
            raise ConfigError(_explain(exc, set(overrides))) from None

    @property
    def extractive(self) -> bool:
        if self.extract_mode == "auto":
            return self.model in ("local", "local:qwen", "local:gemma")  # the small offline models select sentences
        return self.extract_mode == "extractive"

    @property
    def is_local(self) -> bool:
        return self.model == "local" or self.model.startswith("local:")


class _EnvSettings(BaseSettings, Settings):
    """Settings that read VERIFY_* (pydantic-settings); the field aliases name the other variables."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", env_ignore_empty=True,
                                      populate_by_name=True)


def env_setting(field: str):
    """One setting as the environment gives it (its default when unset), checked like every other: for
    code that runs below the commands, e.g. the embedder's thread count. A bad value is a ConfigError.
    Only this field is read and validated: the embedder asks on every encode call, where building the
    whole Settings (embedder spec, time zone, users file...) cost ~1.8 ms; the commands check the rest."""
    raw = next((os.environ[name] for name in env_names(field) if os.environ.get(name)), None)
    if raw is None:  # empty counts as unset, as for Settings.from_env (env_ignore_empty)
        return Settings.model_fields[field].get_default(call_default_factory=True)
    try:
        checked = Settings.__pydantic_validator__.validate_assignment(Settings.model_construct(), field, raw)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, set())) from None
    return getattr(checked, field)


def env_names(field: str) -> list[str]:
    """The variables a field is read from, in priority order."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [name for name in alias.choices if isinstance(name, str)]
    return [ENV_PREFIX + field.upper()]


def _explain(exc: ValidationError, from_flags: set[str]) -> str:
    """One line per bad value: where it came from, what it was, what is accepted."""
    lines = []
    for error in exc.errors():
        field = _field_of(str(error["loc"][0])) if error["loc"] else ""
        if not field:
            lines.append(error["msg"])
            continue
        if field in from_flags:
            where = FLAGS.get(field, field)
        else:
            where = next((n for n in env_names(field) if os.environ.get(n)), env_names(field)[0])
        info = Settings.model_fields[field]
        wanted = error.get("ctx", {}).get("expected") if error["type"] == "literal_error" else info.description
        accepted = f"one of {wanted}" if error["type"] == "literal_error" else wanted or "another value"
        # Our own validators say what is wrong (unknown embedder...); pydantic's type messages add nothing.
        reason = f" ({error['msg'].removeprefix('Value error, ')})" if error["type"] == "value_error" else ""
        lines.append(f"{where}={error['input']!r} is not valid{reason}: expected {accepted}")
    return "; ".join(lines)


def _field_of(loc: str) -> str:
    if loc in Settings.model_fields:
        return loc
    return next((f for f in Settings.model_fields if loc.upper() in env_names(f)), "")
