"""Batches on a task queue in PostgreSQL (procrastinate): `verify batch` stores the articles and queues one
job per article; `verify worker` processes (any number, on any machines that reach the queue, the store and
the model server) take the jobs.

Two kinds of job:
- `verify:article` (batch, article): creates the batch's run of that article, extracts its claims and queues
  one judge job per claim that has no verdict. The run's id is made of the batch's and the article's, so a
  retried job finds its run; a run that already has claims keeps them (they are extracted once).
- `verify:judge` (batch, run, claim): retrieves evidence for one claim and judges it, stored with its
  evidence in one transaction (the store's `save_judgement`). A claim that already has a verdict is not
  judged again. The job that stores a run's last verdict finishes the run (status and summary).

Nothing lost: a job leaves the queue only when its work is stored. A worker sends a heartbeat every few
seconds; every worker looks for jobs held by a worker silent for `stalled_after` seconds (SIGKILL, a dead
machine) and puts them back in the queue, where another worker takes them.
Nothing duplicated: `lock` (one per claim) keeps two jobs of a claim from running at once, `queueing_lock`
keeps one waiting job per claim, and the verdict check skips a claim that was judged meanwhile. The one
gap: a worker that is alive but silent for `stalled_after` seconds (a frozen machine) can finish a claim
another worker has already re-judged; the later verdict then replaces the earlier one (one row per claim).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException

from .config import Settings
from .errors import StoreError, VerifyError
from .models import Article, Claim, Run, utcnow

QUEUE = "verify"
ARTICLE_TASK = "verify:article"
JUDGE_TASK = "verify:judge"
# Store and library errors (a locked SQLite file, a Chroma server restarting) are worth a few more tries;
# model faults never reach here: a claim the model cannot judge is stored as a failed verdict.
RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)

log = logging.getLogger("verify.worker")


class QueueError(VerifyError):
    """The task queue cannot be reached or used."""


def new_batch_id() -> str:
    return datetime.now(timezone.utc).strftime("b%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def run_id_of(batch: str, article_id: str) -> str:
    """The batch's run of an article: the same on every try, so a retried job finds it."""
    return f"{batch}-{article_id[:12]}"


def shown(url: str) -> str:
    """A queue URL fit for messages: without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


# --- the queue ----------------------------------------------------------------------------------------


def queue_app(url: str) -> App:
    """A procrastinate app on the PostgreSQL database at `url` with verify's tasks (open it before use)."""
    if not url:
        raise QueueError("no task queue: set VERIFY_QUEUE=postgresql://user@host:5432/db (see docs/deploy.md)")
    app = App(connector=PsycopgConnector(conninfo=url, min_size=1, max_size=8))
    app.task(name=ARTICLE_TASK, queue=QUEUE, retry=RETRY, pass_context=True)(article_job)
    app.task(name=JUDGE_TASK, queue=QUEUE, retry=RETRY)(judge_job)
    return app


def ensure_schema(url: str) -> None:
    """Create procrastinate's tables in the queue database if they are not there yet. Under an advisory lock,
    so workers starting together create them once."""
    import psycopg
    from procrastinate.schema import SchemaManager

    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(7031975)")
            if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                conn.execute(SchemaManager.get_schema())
    except psycopg.Error as exc:
        raise QueueError(f"the task queue at {shown(url)} could not be used ({str(exc).strip().splitlines()[0]}); "
                         "start PostgreSQL or point VERIFY_QUEUE at a database you can write") from exc


async def enqueue_articles(app: App, batch: str, article_ids: list[str]) -> int:
    """One article job per article, at most one waiting per (batch, article): returns how many were queued."""
    queued = 0
    for article_id in article_ids:
        key = f"article:{batch}:{article_id}"
        try:
            await app.configure_task(ARTICLE_TASK, lock=key, queueing_lock=key).defer_async(
                batch=batch, article=article_id)
            queued += 1
        except AlreadyEnqueued:
            pass
    return queued


async def enqueue_judging(app: App, batch: str, run_id: str, claims: list[Claim]) -> None:
    for claim in claims:
        key = f"judge:{claim.id}"
        try:
            await app.configure_task(JUDGE_TASK, lock=key, queueing_lock=key).defer_async(
                batch=batch, run=run_id, claim=claim.id)
        except AlreadyEnqueued:  # a retried article job: the claim's job is waiting already
            pass


async def retry_stalled(app: App, stalled_after: float) -> list[int]:
    """Put back in the queue the jobs held by workers that sent no heartbeat for `stalled_after` seconds."""
    retried = []
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
        try:
            await app.job_manager.retry_job(job)
        except ConnectorException as exc:  # another worker put it back first (the job is no longer 'doing')
            log.debug("stalled job %s not retried here: %s", job.id, exc)
            continue
        retried.append(job.id)
        log.warning("job %s (%s %s) was held by a worker that stopped answering: back in the queue",
                    job.id, job.task_name, job.task_kwargs)
    return retried


# --- the worker's side ----------------------------------------------------------------------------------


@dataclass
class Runtime:
    """What a worker process builds once: the pipeline (model, embedder, library, store), and a lock around
    retrieval (the library's readers share one process-wide client)."""

    settings: Settings
    pipeline: object = None
    retrieval: threading.Lock = field(default_factory=threading.Lock)
    articles: dict[str, Article] = field(default_factory=dict)

    def __post_init__(self):
        from .pipeline import Pipeline

        self.pipeline = self.pipeline or Pipeline(self.settings)

    @property
    def store(self):
        return self.pipeline.store

    def article(self, article_id: str) -> Article:
        if article_id not in self.articles:
            self.articles[article_id] = self.store.get_article(article_id)
        return self.articles[article_id]


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def use_runtime(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    """The worker's runtime; a worker started another way (procrastinate's own CLI) builds it from VERIFY_*."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime(Settings.from_env())
        return _runtime


async def article_job(context: JobContext, batch: str, article: str) -> None:
    run_id, todo = await asyncio.to_thread(prepare_run, runtime(), batch, article)
    await enqueue_judging(context.app, batch, run_id, todo)
    log.info("queued %d claim(s) of run %s", len(todo), run_id)


async def judge_job(batch: str, run: str, claim: str) -> None:
    await asyncio.to_thread(judge_one, runtime(), run, claim)


def prepare_run(rt: Runtime, batch: str, article_id: str) -> tuple[str, list[Claim]]:
    """The batch's run of the article, created once, with its claims extracted once; the claims that still
    need a verdict. A run without claims (extraction failed, or nothing to check) is finished here."""
    pipeline, store = rt.pipeline, rt.store
    article = rt.article(article_id)
    run_id = run_id_of(batch, article_id)
    try:
        run = store.get_run(run_id)
    except StoreError:  # not created yet (if the store itself failed, create_run fails too, and says why)
        run = Run(id=run_id, article_id=article_id, created_at=utcnow(), status="running",
                  settings=pipeline.run_settings(), summary={"batch": batch})
        store.create_run(run)
    if run.status != "running":  # finished by an earlier try of this job
        return run_id, []
    claims = store.get_claims(run_id)
    if not claims or run.summary.get("extraction_failures"):  # first try, or an earlier one that failed
        claims = claims + pipeline.extract(run, article, kept=claims).claims
    verdicts = store.get_verdicts(run_id)
    todo = [c for c in claims if c.id not in verdicts]
    if not todo:
        finish_if_complete(rt, run_id)
    return run_id, todo


def judge_one(rt: Runtime, run_id: str, claim_id: str) -> None:
    """Retrieve and judge one claim, store it, and finish the run if it was the last one."""
    from .judge import judge_claim
    from .retrieve import Query

    store = rt.store
    if store.verdict_of(claim_id) is not None:
        log.info("skipped %s: it already has a verdict", claim_id)
        return finish_if_complete(rt, run_id)
    started = time.perf_counter()
    run = store.get_run(run_id)
    article = rt.article(run.article_id)
    claim = next((c for c in store.get_claims(run_id) if c.id == claim_id), None)
    if claim is None:
        raise StoreError(f"no claim {claim_id} in run {run_id}")
    with rt.retrieval:
        evidence = rt.pipeline.retriever.retrieve_many(
            [[Query(claim.text, article.language), Query(claim.text_en, "en")]])[0]
    verdict = judge_claim(claim, evidence, rt.pipeline.llm, rt.pipeline.judge_prompt, article.language)
    if store.verdict_of(claim_id) is not None:  # judged meanwhile by a worker thought dead: keep its verdict
        log.warning("not stored %s: another worker judged it meanwhile", claim_id)
        return finish_if_complete(rt, run_id)
    store.save_judgement(claim, evidence, verdict)
    label = verdict.label.value if verdict.label else f"failed ({verdict.error})"
    log.info("judged %s: %s (%.2f s)", claim_id, label, time.perf_counter() - started)
    finish_if_complete(rt, run_id)


def finish_if_complete(rt: Runtime, run_id: str) -> None:
    """Finish the run (status, summary, claim memory) once every claim has a verdict. Each job checks after
    its own write, so whichever stores the last verdict sees them all; finishing twice writes the same."""
    from .pipeline import RunOutcome

    store = rt.store
    run = store.get_run(run_id)
    claims = store.get_claims(run_id)
    verdicts = store.get_verdicts(run_id)
    if run.status != "running" or any(c.id not in verdicts for c in claims):
        return
    outcome = RunOutcome(run=run, article=rt.article(run.article_id), claims=claims, verdicts=verdicts, ingest=None,
                         extraction_failures=list(run.summary.get("extraction_errors", [])))
    rt.pipeline.finish(outcome, first_call=0)
    log.info("finished run %s", run_id)


async def work(settings: Settings, concurrency: int, heartbeat_s: float, stalled_after_s: float,
               rt: Runtime | None = None) -> None:
    """Run one worker until it is stopped (SIGINT/SIGTERM let the jobs in hand finish): procrastinate's
    worker, and beside it the sweep that returns stalled workers' jobs to the queue."""
    use_runtime(rt or Runtime(settings))
    app = queue_app(settings.queue)
    async with app.open_async():
        sweep = asyncio.create_task(_sweep(app, stalled_after_s))
        try:
            await app.run_worker_async(queues=[QUEUE], concurrency=concurrency, update_heartbeat_interval=heartbeat_s,
                                       stalled_worker_timeout=stalled_after_s, listen_notify=True,
                                       fetch_job_polling_interval=1.0)
        finally:
            sweep.cancel()


async def _sweep(app: App, stalled_after_s: float) -> None:
    while True:
        await asyncio.sleep(max(0.5, stalled_after_s / 2))
        try:
            await retry_stalled(app, stalled_after_s)
        except (ConnectorException, OSError) as exc:  # the queue database restarting: try again at the next sweep
            log.warning("could not look for stalled jobs: %s", exc)


# --- the batch's side -------------------------------------------------------------------------------------


async def job_counts(app: App, batch: str) -> dict[str, dict[str, int]]:
    """Per task (article, judge), how many of the batch's jobs are in each state (todo, doing, succeeded...)."""
    counts: dict[str, dict[str, int]] = {"article": {}, "judge": {}}
    for name, task in (("article", ARTICLE_TASK), ("judge", JUDGE_TASK)):
        for job in await app.job_manager.list_jobs_async(queue=QUEUE, task=task):
            if job.task_kwargs.get("batch") == batch:
                counts[name][str(job.status)] = counts[name].get(str(job.status), 0) + 1
    return counts


__all__ = ["ARTICLE_TASK", "JUDGE_TASK", "QUEUE", "QueueError", "Runtime", "enqueue_articles", "ensure_schema",
           "job_counts", "new_batch_id", "queue_app", "retry_stalled", "run_id_of", "work"]
