"""`verify batch` and `verify worker` (issue 14): a real PostgreSQL task queue (procrastinate), real worker
processes, a real SQLite store and Chroma library, and the OpenAI-compatible stand-in server as the model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.batch_world import StandInModel, claim_key, write_articles, write_library
from tests.openai_server import OpenAICompatibleServer

ROOT = Path(__file__).resolve().parent.parent


def verify_cmd(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "verify.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def start_worker(env: dict, log: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "verify.cli", "worker", "--heartbeat", "0.5", "--stalled-after", "2",
                             *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def wait_until(check, timeout_s: float, what: str, logs: list[Path] = ()) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {log.name}\n" + log.read_text()[-3000:] for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def judged_lines(*logs: Path) -> Counter:
    """How many times each claim id was stored as judged, over the workers' logs."""
    return Counter(line.split(" INFO judged ", 1)[1].split(":", 1)[0] for log in logs
                   for line in log.read_text().splitlines() if " INFO judged " in line)


@pytest.fixture(params=["sqlite", "postgresql"])
def newsroom(request, tmp_path, postgres, postgres_url):
    """Articles, an ingested library, the environment of every verify process: the queue in PostgreSQL, the
    store in an SQLite file (one machine) or in another PostgreSQL database (a team)."""
    articles = write_articles(tmp_path / "articles", articles=3, claims_per_article=4)
    if request.param == "sqlite":
        db = str(tmp_path / "verify.db")
    else:
        name = postgres_url.rsplit("/", 1)[1][:50] + "_store"
        db = postgres.create_database(name)
        request.addfinalizer(lambda: postgres.drop_database(name))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VERIFY_QUEUE": postgres_url, "VERIFY_DB": db,
           "VERIFY_MODEL": "stand-in", "VERIFY_EMBEDDER": "hash", "VERIFY_CONCURRENCY": "2", "VERIFY_TIMEOUT": "20"}
    done = verify_cmd("ingest", str(write_library(tmp_path / "library")), env=env)
    assert done.returncode == 0, done.stderr
    return tmp_path, articles, env


def store_state(db: str):
    from verify.store import Store

    store = Store(db if db.startswith("postgresql://") else Path(db), read_only=True)
    try:
        runs = store.list_runs()
        claims = [c for r in runs for c in store.get_claims(r.id)]
        verdicts = {cid: v for r in runs for cid, v in store.get_verdicts(r.id).items()}
        return runs, claims, verdicts
    finally:
        store.close()


def all_runs_finished(db: str, expected_runs: int) -> bool:
    from verify.errors import StoreError

    try:
        runs, _, _ = store_state(db)
    except StoreError:  # not created yet: the first worker creates it
        return False
    return len(runs) == expected_runs and all(r.status != "running" for r in runs)


def requeue_and_drain(queue_url: str, batch_id: str, runs: list, claims: list) -> None:
    """Queue the batch's article jobs and judge jobs again (as retries would) and wait until the workers have
    taken every job of the batch."""
    import asyncio

    from verify.queue import enqueue_articles, enqueue_judging, job_counts, queue_app

    app = queue_app(queue_url)

    async def requeue() -> None:
        async with app.open_async():
            assert await enqueue_articles(app, batch_id, [r.article_id for r in runs]) == len(runs)
            for run in runs:
                await enqueue_judging(app, batch_id, run.id, [c for c in claims if c.run_id == run.id])
            while any(n for task in (await job_counts(app, batch_id)).values()
                      for state, n in task.items() if state in ("todo", "doing")):
                await asyncio.sleep(0.2)

    asyncio.run(asyncio.wait_for(requeue(), 60))


def test_two_workers_judge_every_claim_once_and_a_failing_model_call_is_a_recorded_failure(newsroom):
    """Also: article and judge jobs run again (retries) create no second run, no new claim, no new verdict."""
    tmp, articles, env = newsroom
    (tmp / "unreadable.md").write_bytes(b"")
    model = StandInModel(latency_s=0.05, fail={"1-2"})
    with OpenAICompatibleServer(model) as server:
        env = {**env, "VERIFY_BASE_URL": server.base_url}
        queued = verify_cmd("batch", str(tmp / "articles"), str(tmp / "unreadable.md"), env=env)
        assert queued.returncode == 0, queued.stderr
        assert "3 article(s) queued, 1 skipped" in queued.stdout
        assert "unreadable.md: empty file" in queued.stderr
        batch_id = queued.stdout.split("Batch ", 1)[1].split(":", 1)[0]
        logs = [tmp / "worker-a.log", tmp / "worker-b.log"]
        workers = [start_worker(env, log) for log in logs]
        try:
            wait_until(lambda: all_runs_finished(env["VERIFY_DB"], 3), 120, "3 finished runs", logs)
            before, claims_before, _ = store_state(env["VERIFY_DB"])
            requeue_and_drain(env["VERIFY_QUEUE"], batch_id, before, claims_before)
        finally:
            stop(*workers)
        status = verify_cmd("batch-status", batch_id, env=env)
    runs, claims, verdicts = store_state(env["VERIFY_DB"])
    assert [(r.id, r.status) for r in runs] == [(r.id, r.status) for r in before]  # no second run
    assert len(claims) == 12 and set(verdicts) == {c.id for c in claims}  # nothing lost
    assert judged_lines(*logs) == Counter({c.id: 1 for c in claims})  # each claim stored once
    assert set(model.judged.values()) == {1}  # and asked of the model once
    failed = [v for v in verdicts.values() if v.status != "ok"]
    assert [claim_key(next(c.text for c in claims if c.id == v.claim_id)) for v in failed] == ["1-2"]
    assert failed[0].label is None and "400" in failed[0].error  # a failure, never an invented label
    assert all(r.status == "done" for r in runs)
    assert sorted(r.summary["verdicts"]["failed"] for r in runs) == [0, 0, 1]
    assert status.returncode == 0, status.stderr
    assert "runs: 3 (3 done, 0 running, 0 failed)" in status.stdout
    assert "claims: 12, judged 12 (1 failed verdicts), waiting 0" in status.stdout


def test_a_worker_killed_mid_claim_loses_nothing_and_duplicates_nothing(newsroom):
    tmp, articles, env = newsroom
    model = StandInModel(latency_s=0.05, slow={"0-0"}, slow_s=4.0)  # worker A is inside this call when killed
    with OpenAICompatibleServer(model) as server:
        env = {**env, "VERIFY_BASE_URL": server.base_url}
        logs = [tmp / "worker-a.log", tmp / "worker-b.log"]
        first = start_worker(env, logs[0], "--concurrency", "1")
        queued = verify_cmd("batch", *map(str, articles[:1]), env=env)
        assert queued.returncode == 0, queued.stderr
        try:
            wait_until(lambda: model.judged["0-0"] == 1, 90, "worker A to ask the model about claim 0-0", logs[:1])
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = start_worker(env, logs[1])
            wait_until(lambda: all_runs_finished(env["VERIFY_DB"], 1), 90, "the run to finish", logs)
        finally:
            stop(first, second)
    runs, claims, verdicts = store_state(env["VERIFY_DB"])
    killed = next(c.id for c in claims if claim_key(c.text) == "0-0")
    assert len(claims) == 4 and set(verdicts) == {c.id for c in claims}  # 0 lost
    assert all(v.status == "ok" for v in verdicts.values()) and runs[0].status == "done"
    judged = judged_lines(*logs)
    assert judged == Counter({c.id: 1 for c in claims})  # 0 duplicates
    assert judged_lines(logs[1])[killed] == 1  # the killed worker's claim was judged by the other one
    assert "back in the queue" in logs[1].read_text()
    assert model.judged["0-0"] == 2  # asked again, since the first answer never arrived
