"""README, Failure behaviour: "A store or library error retries the job 5 times, then `batch-status` reports
failed jobs." A real PostgreSQL task queue and worker process, a real PostgreSQL store that refuses (with a
trigger, as a full disk or a revoked grant would) every write of one article's run, and the stand-in model."""

from __future__ import annotations

import os

import psycopg

from tests.batch_world import StandInModel, write_articles, write_library
from tests.openai_server import OpenAICompatibleServer
from tests.test_batch import start_worker, stop, store_state, verify_cmd, wait_until

REFUSE_RUNS_OF = """
CREATE FUNCTION refuse_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
CREATE TRIGGER refuse_run BEFORE INSERT ON runs FOR EACH ROW WHEN (NEW.article_id = %s) EXECUTE FUNCTION refuse_run();
"""


def article_job(queue_url: str, batch_id: str, article_id: str) -> tuple[int, str, int]:
    """The article job of the batch: its id, status and how many times a worker started it (from procrastinate's
    events, not from verify's own logs)."""
    with psycopg.connect(queue_url) as conn:
        job_id, status = conn.execute(
            "SELECT id, status::text FROM procrastinate_jobs WHERE task_name = 'verify:article' "
            "AND args->>'batch' = %s AND args->>'article' = %s", (batch_id, article_id)).fetchone()
        started = conn.execute("SELECT count(*) FROM procrastinate_events WHERE job_id = %s AND type = 'started'",
                               (job_id,)).fetchone()[0]
    return job_id, status, started


def without_the_backoff(queue_url: str, job_id: int) -> None:
    """Bring a retry scheduled for later forward to now: the retry decision is procrastinate's and verify's
    (RETRY in verify/queue.py), only the 2, 4, 8, 16, 32 s waits between tries are skipped."""
    with psycopg.connect(queue_url, autocommit=True) as conn:
        conn.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s AND status = 'todo' "
                     "AND scheduled_at > now()", (job_id,))


def test_a_store_error_retries_the_article_job_5_times_then_batch_status_reports_it_failed(
        tmp_path, postgres, postgres_url):
    store_name = postgres_url.rsplit("/", 1)[1][:50] + "_store"
    db = postgres.create_database(store_name)
    try:
        env = {**os.environ, "VERIFY_QUEUE": postgres_url, "VERIFY_DB": db, "VERIFY_MODEL": "stand-in",
               "VERIFY_EMBEDDER": "hash", "VERIFY_VECTORSTORE": str(tmp_path / "vectorstore"),
               "VERIFY_CONCURRENCY": "2", "VERIFY_TIMEOUT": "20"}
        ingested = verify_cmd("ingest", str(write_library(tmp_path / "library")), env=env)
        assert ingested.returncode == 0, ingested.stderr
        write_articles(tmp_path / "articles", articles=3, claims_per_article=2)
        with OpenAICompatibleServer(StandInModel(latency_s=0.02)) as server:
            env["VERIFY_BASE_URL"] = server.base_url
            queued = verify_cmd("batch", str(tmp_path / "articles"), env=env)
            assert queued.returncode == 0, queued.stderr
            batch_id = queued.stdout.split("Batch ", 1)[1].split(":", 1)[0]
            with psycopg.connect(db, autocommit=True) as conn:
                refused = conn.execute("SELECT id FROM articles ORDER BY id LIMIT 1").fetchone()[0]
                conn.execute(REFUSE_RUNS_OF.replace("%s", f"'{refused}'"))
            job_id = article_job(postgres_url, batch_id, refused)[0]
            log = tmp_path / "worker.log"
            worker = start_worker(env, log)

            def gave_up() -> bool:
                without_the_backoff(postgres_url, job_id)
                return article_job(postgres_url, batch_id, refused)[1] == "failed"

            try:
                wait_until(gave_up, 120, "the refused article's job to fail", [log])
                wait_until(lambda: len(store_state(db)[0]) == 2 and all(r.status == "done" for r in store_state(db)[0]),
                           60, "the other two runs to finish", [log])
            finally:
                stop(worker)
            status = verify_cmd("batch-status", batch_id, env=env)
        _, state, started = article_job(postgres_url, batch_id, refused)
        assert state == "failed"
        # max_attempts=5 counts retries: procrastinate retries while the job's past retries are fewer than 5
        assert started == 6, f"the article job ran {started} times: expected the first try and 5 retries"
        assert log.read_text().count("No space left on device") >= 1  # the store's own error, in the worker's log
        assert status.returncode == 0, status.stderr
        assert "article jobs: 1 failed, 2 succeeded; judge jobs: 4 succeeded" in status.stdout
        assert "runs: 2 (2 done, 0 running, 0 failed)" in status.stdout
        assert "claims: 4, judged 4 (0 failed verdicts), waiting 0" in status.stdout
        assert "Some jobs failed after their retries" in status.stdout
    finally:
        postgres.drop_database(store_name)
