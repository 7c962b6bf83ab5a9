"""`verify batch`, `verify worker` and `verify batch-status`: many articles through a task queue in PostgreSQL
(VERIFY_QUEUE), judged by any number of worker processes (verify/queue.py)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

import typer

from ..errors import VerifyError
from ..terminal import plain
from .common import (
    BaseUrlOpt,
    CollectionOpt,
    DbOpt,
    EmbedderOpt,
    ModelOpt,
    VsOpt,
    _quiet_libraries,
    _where,
    app,
    console,
    err,
    fail,
    open_for_reading,
    settings_from,
)

QueueOpt = typer.Option(None, "--queue", help="The task queue's PostgreSQL database, postgresql://user@host:port/db. "
                        "Env VERIFY_QUEUE.")
ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


def article_locations(items: list[str], list_file: Optional[Path]) -> list[str]:
    """Folders become the article files inside them (sorted, recursively); files and URLs stay as given;
    a list file gives one location per line (blank lines and # comments skipped)."""
    found: list[str] = []
    if list_file is not None:
        try:
            lines = list_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise VerifyError(f"the list {list_file} could not be read ({exc.strerror or exc})") from exc
        items = [*items, *(ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#"))]
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
        else:
            found.append(item)
    return list(dict.fromkeys(found))


@app.command()
def batch(
    items: Optional[list[str]] = typer.Argument(None, help="Article files, folders of articles, or URLs."),
    list_file: Optional[Path] = typer.Option(None, "--list", help="A file listing articles (paths or URLs), one per line."),
    db: Optional[Path] = DbOpt, queue: Optional[str] = QueueOpt,
) -> None:
    """Queue many articles for `verify worker` processes: each is read and stored now, then extracted and judged
    by the workers (one run per article). Unreadable articles are listed and skipped.

    Example: verify batch articles/ --queue postgresql://verify@db-host/verify
    """
    _quiet_libraries()
    settings = settings_from(db_path=db, queue=queue)
    from ..pipeline import read_article
    from ..queue import ensure_schema, new_batch_id, queue_app
    from ..store import Store
    from ..store.location import shown as shown_store

    try:
        locations = article_locations(items or [], list_file)
        if not locations:
            raise VerifyError("no article to queue: give article files, folders or URLs (or --list FILE)")
        app_ = queue_app(settings.queue)
        ensure_schema(settings.queue)
        store = Store(settings.db_path)
        articles = []
        for location in locations:
            try:
                articles.append(read_article(location, settings))
            except VerifyError as exc:
                err.print(plain(f"[skipped] {exc}" if location in str(exc) else f"[skipped] {location}: {exc}",
                                "yellow"), highlight=False, soft_wrap=True)
        for article in articles:
            store.save_article(article)
        batch_id = new_batch_id()
        queued = asyncio.run(_enqueue(app_, batch_id, [a.id for a in articles]))
    except VerifyError as exc:
        fail(exc)
    skipped = len(locations) - len(articles)
    console.print(plain(f"Batch {batch_id}: {queued} article(s) queued" + (f", {skipped} skipped" if skipped else "")
                        + f"; store {shown_store(settings.db_path)}"), soft_wrap=True)
    console.print(plain(f"Next: verify worker (on each machine) | progress: verify batch-status {batch_id}"))
    if not queued:
        raise typer.Exit(code=1)


async def _enqueue(app_, batch_id: str, article_ids: list[str]) -> int:
    from ..queue import enqueue_articles

    async with app_.open_async():
        return await enqueue_articles(app_, batch_id, article_ids)


@app.command()
def worker(
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Jobs at once in this process "
                                              "(default VERIFY_CONCURRENCY, 4; 1 for an in-process local model)."),
    heartbeat: float = typer.Option(5.0, "--heartbeat", help="Seconds between this worker's heartbeats."),
    stalled_after: float = typer.Option(30.0, "--stalled-after", help="A worker silent this many seconds is taken "
                                        "for dead: its jobs go back to the queue."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    db: Optional[Path] = DbOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    queue: Optional[str] = QueueOpt,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also log every job procrastinate starts and ends."),
) -> None:
    """Take batch jobs from the task queue and process them (extract, retrieve, judge, store) until stopped
    (Ctrl+C or SIGTERM let the jobs in hand finish). Run as many as you like, on any machines."""
    _quiet_libraries()
    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, vectorstore=vectorstore,
                             collection=collection, queue=queue)
    if stalled_after <= heartbeat:
        fail(VerifyError(f"--stalled-after ({stalled_after:g} s) must be longer than --heartbeat ({heartbeat:g} s)"))
    from ..pipeline import judge_workers
    from ..queue import Runtime, ensure_schema, queue_app, shown, work
    from ..store.location import shown as shown_store
    from .run_commands import warn_if_demo_grade

    _log_to_stderr(verbose)
    warn_if_demo_grade(settings)
    jobs_at_once = concurrency or judge_workers(settings)
    try:
        queue_app(settings.queue)  # refuses an unset queue before anything loads
        ensure_schema(settings.queue)
        rt = Runtime(settings)
    except VerifyError as exc:
        fail(exc)
    err.print(plain(f"verify worker ready: model {rt.pipeline.llm.model_id}, store {shown_store(settings.db_path)}, "
                    f"library {_where(settings.vectorstore)}, queue {shown(settings.queue)}, {jobs_at_once} job(s) "
                    "at once"), highlight=False, soft_wrap=True)
    try:
        asyncio.run(work(settings, jobs_at_once, heartbeat, stalled_after, rt))
    except VerifyError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name, level in (("verify.worker", logging.INFO), ("procrastinate", logging.INFO if verbose else logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


@app.command("batch-status")
def batch_status(
    batch_id: str = typer.Argument(..., help="The batch id `verify batch` printed."),
    db: Optional[Path] = DbOpt, queue: Optional[str] = QueueOpt,
) -> None:
    """How far a batch has gone: its jobs in the queue, its runs and their verdicts in the store."""
    settings = settings_from(db_path=db, queue=queue)
    from ..queue import ensure_schema, queue_app

    try:
        app_ = queue_app(settings.queue)
        ensure_schema(settings.queue)  # also says, in one line, when the queue cannot be reached
        jobs = asyncio.run(_job_counts(app_, batch_id))
        store = open_for_reading(db)
        runs = [r for r in store.list_runs() if r.id.startswith(batch_id + "-")]
        claims = judged = failed = 0
        for run in runs:
            ids = store.claim_ids(run.id)
            verdicts = store.get_verdicts(run.id)
            claims += len(ids)
            judged += sum(1 for i in ids if i in verdicts)
            failed += sum(1 for i in ids if i in verdicts and verdicts[i].status != "ok")
    except VerifyError as exc:
        fail(exc)
    if not jobs["article"] and not runs:
        fail(VerifyError(f"no batch {batch_id!r} in the queue or the store: check the id `verify batch` printed"))
    states = lambda counts: ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    by_status = {s: sum(1 for r in runs if r.status == s) for s in ("running", "done", "failed")}
    console.print(plain(f"Batch {batch_id}"))
    console.print(plain(f"  article jobs: {states(jobs['article'])}; judge jobs: {states(jobs['judge'])}"))
    console.print(plain(f"  runs: {len(runs)} ({by_status['done']} done, {by_status['running']} running, "
                        f"{by_status['failed']} failed)"))
    console.print(plain(f"  claims: {claims}, judged {judged} ({failed} failed verdicts), waiting {claims - judged}"))
    if jobs["article"].get("failed") or jobs["judge"].get("failed"):
        console.print(plain("  Some jobs failed after their retries (store or library errors; see the workers' logs): "
                            "`verify run --resume RUN` judges a run's remaining claims.", "yellow"))


async def _job_counts(app_, batch_id: str):
    from ..queue import job_counts

    async with app_.open_async():
        return await job_counts(app_, batch_id)
