"""`verify run` and `verify rejudge`: judge an article, or one claim again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from ..config import Settings
from ..errors import VerifyError
from ..terminal import line, plain
from ..vocabulary import DEMO_GRADE_WARNING, is_demo_grade, run_is_demo_grade
from .common import (BaseUrlOpt, CollectionOpt, DbOpt, EmbedderOpt, ModelOpt, RichProgress, VsOpt, _quiet_libraries,
    _where, app, console, err, fail, progress_bar, require_store, settings_from)


@app.command()
def run(
    article: Optional[str] = typer.Argument(None, help="Article file (.txt, .md, .html, .pdf) or URL (omit with --resume)."),
    sources: Optional[list[str]] = typer.Option(None, "--sources", "-s", help="Source files, folders or URLs to ingest first (repeatable)."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    db: Optional[Path] = DbOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages per claim (default 5)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Claims judged at once on remote backends (default 4)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached LLM replies."),
    resume: Optional[str] = typer.Option(None, "--resume", help="Finish an interrupted run (judges only claims without a verdict)."),
) -> None:
    """Verify an article: ingest sources, extract claims, retrieve evidence, judge, store.

    Example: verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources
    """
    _quiet_libraries()
    if not article and not resume:
        fail(VerifyError("give an ARTICLE to verify, or --resume RUN_ID to finish an interrupted run"))
    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, vectorstore=vectorstore,
                             collection=collection, top_k=top_k, concurrency=concurrency,
                             use_cache=False if no_cache else None)
    warn_if_demo_grade(settings)
    from ..pipeline import Pipeline

    try:
        with progress_bar() as bar:
            pipeline = Pipeline(settings, progress=RichProgress(bar))
            outcome = pipeline.resume(resume) if resume else pipeline.run(article, sources or [])
    except VerifyError as exc:
        fail(exc)
    print_summary(outcome, settings)
    if outcome.run.status == "failed":  # a run with no (or missing) claims must not look finished
        from rich.text import Text

        err.print(Text.assemble(("error:", "bold red"), f" claim extraction failed ({outcome.extraction_failures[0]}); "
                                f"run {outcome.run.id} is stored as failed. Fix the model endpoint, then: verify run "
                                f"--resume {outcome.run.id}"), highlight=False)
        raise typer.Exit(code=1)


def usage_line(usage: dict) -> str:
    """Requests sent to the model and replies answered from the cache, never added together."""
    return (f"LLM calls: {usage.get('calls', 0)} sent to the model, {usage.get('cached_calls', 0)} answered from the "
            f"cache; tokens sent: {usage.get('prompt_tokens', 0)} prompt / {usage.get('completion_tokens', 0)} completion")


def print_summary(outcome, settings: Settings) -> None:
    from ..show import verdict_counts_line

    run = outcome.run
    console.print(line("\n", (f"Run {run.id}", "bold"), f" on '{outcome.article.title}' ({outcome.article.language})"))
    if outcome.ingest is not None:
        console.print(plain(f"Sources: {outcome.ingest.summary()}"))
    flagged = run.summary.get("flagged_spans", 0)
    console.print(f"Claims found: {len(outcome.claims)}" + (f" ({flagged} with an unlocated span, flagged)" if flagged else ""))
    if outcome.extraction_failures:
        from rich.text import Text

        console.print(Text(f"Claim extraction failed for {len(outcome.extraction_failures)} part(s) of the article: "
                           "claims there are missing.", style="bold red"))
    console.print(line("Verdicts: ", verdict_counts_line(outcome.counts)))
    if outcome.counts.get("failed"):
        console.print(plain(f"{outcome.counts['failed']} verdict(s) failed; raw outputs are stored "
                            f"(see `verify show {run.id}`).", "yellow"))
    suspicious = sum(bool(v.suspicious_citations) for v in outcome.verdicts.values())
    if suspicious:
        console.print(plain(f"{suspicious} verdict(s) cite a source that gives orders to the model (possible prompt "
                            f"injection); check them by hand (see `verify show {run.id}`).", "bold red"))
    console.print(usage_line(run.summary.get("usage_this_invocation") or run.summary.get("usage", {})))
    from ..store.location import resolved, shown

    console.print(plain(f"Stored in {shown(resolved(settings.db_path))} (vector store {_where(settings.vectorstore)})"))
    console.print(line("Next: ", (f"verify show {run.id}", "cyan"), " | review: ", ("verify ui", "cyan"), " | report: ",
                       (f"verify report {run.id} --format md -o report.md", "cyan")))
    if run_is_demo_grade(run.summary, [run.settings.model]):
        console.print(line(("Demo-grade model:", "bold yellow"), f" {DEMO_GRADE_WARNING}"))


def warn_if_demo_grade(settings: Settings) -> None:
    """Before a run: the bundled model, or a Gemma 3 270M file given by path, is not for real checking."""
    if is_demo_grade(settings.model):
        err.print(f"[bold yellow]warning:[/bold yellow] {DEMO_GRADE_WARNING}", highlight=False)


@app.command()
def rejudge(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    claim: str = typer.Argument(..., help="The claim's number as shown (3 or #3) or its id."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who asked for it (kept in the claim's history)."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    db: Optional[Path] = DbOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages (default 5)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse a cached LLM reply."),
) -> None:
    """Retrieve and judge one claim again with the current model; the earlier verdict stays in its history."""
    _quiet_libraries()
    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, vectorstore=vectorstore,
                             collection=collection, top_k=top_k, use_cache=False if no_cache else None)
    require_store(settings.db_path)  # re-judging never creates a store
    warn_if_demo_grade(settings)
    from ..claim_edits import resolve_claim
    from ..pipeline import rejudge_claim
    from ..store import Store

    try:
        store = Store(settings.db_path)
        claim_id = resolve_claim(store, run_id, claim)
        before = store.verdict_of(claim_id)
        judged = rejudge_claim(settings, run_id, claim_id, by, store=store)
    except VerifyError as exc:
        fail(exc)
    verdict = judged.verdict
    was = (before.label.value if before.label else "failed") if before else "no verdict"
    now = verdict.label.value if verdict.label else f"failed ({verdict.error})"
    console.print(plain(f"claim #{judged.claim.index + 1} re-judged by {verdict.model}: {now} (was {was}); "
                        f"{len(judged.evidence)} passage(s) retrieved"), highlight=False, soft_wrap=True)
    if verdict.status != "ok":
        raise typer.Exit(code=1)
