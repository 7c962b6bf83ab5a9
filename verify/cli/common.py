"""What every `verify` command shares: the typer app, the consoles, common options, settings and errors."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ..config import Settings
from ..errors import VerifyError
from ..terminal import line, plain

app = typer.Typer(
    help="verify: extract check-worthy claims from an article, retrieve evidence from a source library, "
    "judge each claim with citations, review and report.",
    no_args_is_help=True,
    epilog="Start with: verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources",
    add_completion=False,
)
# Piped output (files, CI logs, tests) gets wide lines: run ids and paths must not be wrapped.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 160)
console = Console(stderr=False, width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)

ModelOpt = typer.Option(None, "--model", "-m", help="LLM spec: local | local:<file.gguf> | openai:<model> | <name> with --base-url. Env VERIFY_MODEL.")
BaseUrlOpt = typer.Option(None, "--base-url", help="OpenAI-compatible server (vLLM, Ollama, llama-server). Env VERIFY_BASE_URL.")
EmbedderOpt = typer.Option(None, "--embedder", "-e", help="Embedder spec: use+minilm (default: multilingual USE, plus MiniLM for English queries) | use | minilm | sbert:<model> | openai:<model> | hash | a+b. Env VERIFY_EMBEDDER.")
# parser=str: a postgresql:// URL reaches Settings whole (a Path would fold its "//"); Settings makes a file a Path.
DbOpt = typer.Option(None, "--db", parser=str, help="The store: an SQLite file, or a PostgreSQL database as "
                     "postgresql://user:password@host:5432/db. Env VERIFY_DB (default ./verify.db).")
VsOpt = typer.Option(None, "--vectorstore", help="Chroma folder, or a Chroma server as http://host:port. Env VERIFY_VECTORSTORE (default ./vectorstore).")
CollectionOpt = typer.Option(None, "--collection", help="Chroma collection name (default 'sources').")


def _where(location) -> str:
    """A vector store as people should read it: a folder's full path, a server's URL as given."""
    return str(location.resolve() if isinstance(location, Path) else location)


def settings_from(**flags) -> Settings:
    """Settings from VERIFY_* and the flags; a malformed value stops here with an `error:` line."""
    try:
        return Settings.from_env(**{k: v for k, v in flags.items() if v is not None})
    except VerifyError as exc:
        fail(exc)


def require_store(db_path: Path) -> None:
    """Stop with an `error:` line when there is no store at `db_path`: a command that writes to an existing
    store (re-judging, review data, the dashboard) must never create one from a typo in --db."""
    from ..store.location import check_exists

    try:
        check_exists(db_path)  # a file, or a PostgreSQL database holding verify's tables
    except VerifyError as exc:
        fail(exc)


def open_for_reading(db: Optional[Path]):
    """The store for a reading command: it must exist, it is never created, migrated-in-place only if old."""
    from ..store import Store

    return Store(settings_from(db_path=db).db_path, read_only=True)


def warn_unreadable(store) -> None:
    """Stored rows that could not be read were left out or shown as failed: say which."""
    for problem in store.problems:
        err.print(line(("warning:", "bold yellow"), f" {problem}"), highlight=False)


class RichProgress:
    """Pipeline progress as rich bars, one per stage."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int | None) -> None:
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.progress.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self.tasks:
            task = self.progress.tasks[self.tasks[stage]]
            if task.total is None:
                self.progress.update(self.tasks[stage], total=n, completed=n)
            else:
                self.progress.advance(self.tasks[stage], n)

    def note(self, message: str) -> None:
        self.progress.console.print(plain(message, "yellow"), highlight=False, soft_wrap=True)  # the terminal wraps: no newline inside a path


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description:<9}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


def fail(exc: Exception) -> None:
    err.print(line(("error:", "bold red"), f" {exc}"), highlight=False)
    raise typer.Exit(code=2)


def _quiet_libraries() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("chromadb").setLevel(logging.ERROR)
