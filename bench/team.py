"""Team batch benchmark (issue 14): 1,000 claims from 50 synthetic articles through 1, 2 and 4 `verify worker`
processes taking jobs from the task queue in PostgreSQL, against the OpenAI-compatible stand-in server with
200 ms latency per reply; then the same with one worker SIGKILLed mid-run.

    python bench/team.py                          # 50 articles x 20 claims; 1, 2, 4 workers; kill runs at 2 and 4
    python bench/team.py --articles 10 --workers 1 2 --kill 2
    python bench/team.py --store postgresql        # the store in PostgreSQL too (default: an SQLite file)

Starts its own PostgreSQL (Debian's package, 127.0.0.1; tests/postgres_server.py), a fresh queue database
and store for every measurement, one shared source library (hash embedder, 20 sources). Each worker takes
one job at a time (`--jobs-per-worker` to change). Throughput is claims judged per second from the moment
`verify batch` has queued the articles to the last run finished, extraction included (one call per
article); the time `verify batch` took (start-up, reading and storing the articles) is shown apart. Lost: claims without a verdict.
Duplicated: claims stored as judged more than once (from the workers' logs) plus claims with more than one
verdict row. A killed worker's claim is asked of the model again (the first answer never arrived): counted
apart as "asked twice", not as a duplicate.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench._shared import machine  # noqa: E402
from tests.batch_world import StandInModel, write_articles, write_library  # noqa: E402
from tests.openai_server import OpenAICompatibleServer  # noqa: E402


def verify(*args: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "verify.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"verify {args[0]} failed:\n{done.stderr[-3000:]}")
    return done


def start_workers(n: int, env: dict, logs: Path, tag: str, args) -> list[tuple[subprocess.Popen, Path]]:
    workers = []
    for i in range(n):
        log = logs / f"{tag}-worker-{i}.log"
        proc = subprocess.Popen([sys.executable, "-m", "verify.cli", "worker", "-j", str(args.jobs_per_worker),
                                 "--heartbeat", str(args.heartbeat), "--stalled-after", str(args.stalled_after)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
        workers.append((proc, log))
    deadline = time.monotonic() + 300
    while not all("verify worker ready" in log.read_text() for _, log in workers):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _ in workers):
            sys.exit("a worker did not start:\n" + "\n".join(log.read_text()[-2000:] for _, log in workers))
        time.sleep(0.2)
    time.sleep(1.0)  # registered with the queue (heartbeat row) just after saying ready
    return workers


def progress(store, batch: str) -> tuple[int, int]:
    """(runs of the batch, runs finished)."""
    runs = [r for r in store.list_runs() if r.id.startswith(batch + "-")]
    return len(runs), sum(r.status != "running" for r in runs)


def audit(store, batch: str, logs: list[Path]) -> dict:
    runs = [r for r in store.list_runs() if r.id.startswith(batch + "-")]
    claims = [c.id for r in runs for c in store.get_claims(r.id)]
    verdicts = Counter(cid for r in runs for cid in store.get_verdicts(r.id))
    stored = Counter(line.split(" INFO judged ", 1)[1].split(":", 1)[0] for log in logs
                     for line in log.read_text().splitlines() if " INFO judged " in line)
    return {"runs": len(runs), "claims": len(claims),
            "lost": sum(1 for c in claims if c not in verdicts),
            "duplicated": sum(n - 1 for n in stored.values() if n > 1) + sum(n - 1 for n in verdicts.values() if n > 1),
            "failed": sum(1 for r in runs for v in store.get_verdicts(r.id).values() if v.status != "ok"),
            "retried": sum(log.read_text().count("back in the queue") for log in logs)}


def measure(n: int, kill: bool, args, pg, base_env: dict, work: Path, model: StandInModel, tag: str) -> dict:
    from verify.store import Store

    queue = pg.create_database(f"queue_{tag}")
    db = pg.create_database(f"store_{tag}") if args.store == "postgresql" else str(work / f"{tag}.db")
    env = {**base_env, "VERIFY_QUEUE": queue, "VERIFY_DB": db}
    workers = start_workers(n, env, work, tag, args)
    asked_before = sum(model.judged.values())
    before = time.perf_counter()
    batch = verify("batch", str(work / "articles"), env=env).stdout.split("Batch ", 1)[1].split(":", 1)[0]
    started = time.perf_counter()  # the articles are in the queue: the workers' time starts
    store = Store(db if args.store == "postgresql" else Path(db), read_only=True)
    killed_at = None
    try:
        while True:
            total, finished = progress(store, batch)
            judged_now = sum(model.judged.values()) - asked_before
            if kill and killed_at is None and judged_now >= args.articles * args.claims_per_article // 2:
                workers[0][0].send_signal(signal.SIGKILL)  # mid-claim: it always has a job in hand here
                killed_at = time.perf_counter() - started
            if total == args.articles and finished == total:
                break
            if time.perf_counter() - started > args.max_seconds:
                sys.exit(f"{tag}: not finished after {args.max_seconds} s ({finished}/{total} runs)")
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in workers:
            proc.wait(timeout=60)
    figures = audit(store, batch, [log for _, log in workers])
    store.close()
    asked = sum(model.judged.values()) - asked_before
    return {"workers": n, "killed": "1 at %.0f s" % killed_at if kill else "no", "batch cmd s": round(started - before, 1),
            "seconds": round(elapsed, 1),
            "claims/s": round(figures["claims"] / elapsed, 2), **figures,
            "asked twice": asked - figures["claims"], "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--claims-per-article", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kill", type=int, nargs="*", default=[2, 4], help="worker counts measured again with one "
                        "worker SIGKILLed when half the claims were asked of the model")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the stand-in model takes per reply")
    parser.add_argument("--jobs-per-worker", type=int, default=1)
    parser.add_argument("--heartbeat", type=float, default=1.0)
    parser.add_argument("--stalled-after", type=float, default=5.0)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--max-seconds", type=float, default=1200)
    args = parser.parse_args()

    from tests.postgres_server import start_postgres

    from bench._shared import table

    work = Path(tempfile.mkdtemp(prefix="verify-team-"))
    write_articles(work / "articles", args.articles, args.claims_per_article)
    pg = start_postgres()
    model = StandInModel(latency_s=args.latency)
    rows = []
    try:
        with OpenAICompatibleServer(model) as server:
            server.httpd.request_queue_size = 64
            env = {**os.environ, "PYTHONPATH": str(ROOT), "VERIFY_MODEL": "stand-in", "VERIFY_BASE_URL": server.base_url,
                   "VERIFY_EMBEDDER": "hash", "VERIFY_VECTORSTORE": str(work / "vectorstore"),
                   "VERIFY_CACHE_DIR": str(work / "cache"), "VERIFY_USE_CACHE": "false", "VERIFY_TIMEOUT": "30"}
            verify("ingest", str(write_library(work / "library")), env=env)
            plan = [(n, False) for n in args.workers] + [(n, True) for n in args.kill]
            for i, (n, kill) in enumerate(plan):
                rows.append(measure(n, kill, args, pg, env, work, model, f"m{i}_{n}{'k' if kill else ''}"))
                print(f"  {rows[-1]}", flush=True)
    finally:
        pg.stop()
    base = next((r["claims/s"] for r in rows if r["workers"] == 1 and r["killed"] == "no"), None)
    for row in rows:
        row["speed-up"] = round(row["claims/s"] / base, 2) if base else ""
    print(f"\nteam batch: {args.articles} articles x {args.claims_per_article} claims, stand-in model {args.latency * 1000:.0f} "
          f"ms per reply, {args.jobs_per_worker} job(s) at once per worker, store {args.store}, queue PostgreSQL; "
          f"{machine()}")
    print(table(rows, ["workers", "killed", "batch cmd s", "seconds", "claims/s", "speed-up", "claims", "lost", "duplicated",
                       "failed", "asked twice", "retried", "load"]))
    four = next((r for r in rows if r["workers"] == 4 and r["killed"] == "no"), None)
    ok = all(r["lost"] == 0 and r["duplicated"] == 0 for r in rows)
    if four and base:
        print(f"4 workers vs 1: {four['claims/s'] / base:.2f}x (target >= 3.2x)")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
