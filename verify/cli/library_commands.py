"""`verify ingest` and `verify memory`: the source library and the claim memory."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import VerifyError
from ..terminal import line, plain
from .common import (CollectionOpt, DbOpt, EmbedderOpt, VsOpt, _quiet_libraries, app, console, err, fail,
    progress_bar, require_store, settings_from)


@app.command("memory")
def memory_command(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    embedder: Optional[str] = EmbedderOpt, db: Optional[Path] = DbOpt,
) -> None:
    """Claim memory: find the run's claims that resemble claims already reviewed in other runs (any
    language) and store them, so the dashboard suggests those decisions. `verify run` does this itself;
    run it again after more reviewing."""
    _quiet_libraries()
    settings = settings_from(embedder=embedder, db_path=db)
    require_store(settings.db_path)  # never creates a store
    from ..memory import compute_matches
    from ..store import Store

    try:
        store = Store(settings.db_path)
        matches = compute_matches(store, run_id, settings.embedder)
        numbers = {c.id: c.index + 1 for c in store.get_claims(run_id)}
        sources = {m.source_run_id: {c.id: c.index + 1 for c in store.get_claims(m.source_run_id)} for m in matches}
    except VerifyError as exc:
        fail(exc)
    for m in matches:
        console.print(plain(f"claim #{numbers[m.claim_id]} ~ claim #{sources[m.source_run_id][m.source_claim_id]} of "
                            f"run {m.source_run_id} (similarity {m.score:.2f})"), highlight=False, soft_wrap=True)
    claims = len({m.claim_id for m in matches})
    console.print(plain(f"{claims} claim(s) of run {run_id} resemble claims already reviewed"
                        + ("; open the run in `verify ui` to accept or ignore the suggestions" if claims else "")),
                  highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Source files, folders (recursive) or URLs."),
    embedder: Optional[str] = EmbedderOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the collection (or a broken vector store) and re-embed everything."),
) -> None:
    """Add reference sources to the vector store without running."""
    _quiet_libraries()
    from ..embed import build_embedder
    from ..ingest import ingest as do_ingest
    from ..vectorstore import VectorStore

    settings = settings_from(embedder=embedder, vectorstore=vectorstore, collection=collection)
    try:
        emb = build_embedder(settings.embedder)  # a spec that cannot be built must not stamp a collection
        opener = VectorStore.rebuild if rebuild else VectorStore
        vstore = opener(settings.vectorstore, settings.collection, settings.embedder)
        if vstore.moved_aside:
            err.print(plain(f"The broken vector store files were moved to {vstore.moved_aside}; delete that "
                            "folder once the rebuilt library works.", "yellow"), highlight=False)
        with progress_bar() as bar:
            task = bar.add_task("ingest", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                bar.update(task, total=total, completed=done)

            report = do_ingest(paths, vstore, emb, max_bytes=settings.max_input_bytes,
                               timeout_s=settings.url_timeout_s, on_progress=on_progress)
    except VerifyError as exc:
        fail(exc)
    for location, reason in report.failed:
        err.print(line(("skipped", "yellow"), " " + (reason if location in reason else f"{location}: {reason}")),
                  highlight=False)
    for location, holder in report.duplicates:
        err.print(line(("duplicate", "yellow"), f" {location}: same text as source '{holder}'"), highlight=False)
    console.print(plain(f"{report.summary()}. Library: {vstore.count()} chunks in {settings.vectorstore}/{settings.collection}"))
    if report.failed and not (report.added or report.replaced or report.redone or report.unchanged):
        raise typer.Exit(code=1)
