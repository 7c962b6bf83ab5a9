"""`verify eval`: score a labelled claim set."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import VerifyError
from ..terminal import plain
from .common import (BaseUrlOpt, DbOpt, EmbedderOpt, ModelOpt, RichProgress, _quiet_libraries, app, console, fail,
    progress_bar, settings_from)
from .run_commands import warn_if_demo_grade


@app.command("eval")
def eval_command(
    dataset: Path = typer.Argument(..., help="Labelled claims, JSONL (format: docs/eval-format.md)."),
    mode: str = typer.Option("pooled", "--mode", help="pooled: retrieve from all the set's evidence; paired: judge each claim against its own evidence."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Judge a seeded, label-balanced sample of N claims (retrieval is scored on all)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Claims judged at once on remote backends."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the full results as JSON."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Write a Markdown summary."),
    seed: int = typer.Option(0, "--seed", help="Seed for the --limit sample."),
    sources: Optional[list[str]] = typer.Option(None, "--sources", help="pooled: retrieve from these source files instead of the set's evidence (e.g. seeds/sources)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages per claim (default 5)."),
    db: Optional[Path] = DbOpt, no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached LLM replies."),
) -> None:
    """Score retrieval and verdicts on a labelled claim set (accuracy, recall@k, citations, time, cost)."""
    _quiet_libraries()
    from ..evaluation.report import console_summary, write_outputs
    from ..evaluation.run import EvalConfig, Evaluator

    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, top_k=top_k,
                             concurrency=concurrency, use_cache=False if no_cache else None)
    cfg = EvalConfig(dataset=dataset, mode=mode, limit=limit, seed=seed, sources=sources or None)
    try:
        evaluator = Evaluator(cfg, settings)  # validates the dataset before loading any model
        warn_if_demo_grade(settings)
        with progress_bar() as bar:
            evaluator.progress = RichProgress(bar)
            results = evaluator.run()
    except VerifyError as exc:
        fail(exc)
    console.print(console_summary(results), markup=False, highlight=False)
    for path in write_outputs(results, out, markdown):
        console.print(plain(f"wrote {path}"))
