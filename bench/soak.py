"""Soak test (issue 6): 1,000 claims through retrieve + judge against a misbehaving local
OpenAI-compatible server, with two processes sharing one SQLite store and one Chroma folder.

    python bench/soak.py                       # 1,000 claims, 2 processes x 500, concurrency 16 each
    python bench/soak.py --claims 200 --processes 2 --concurrency 8

Server faults, per judge request (seeded): 10% HTTP errors (500/502/503, and 429 with Retry-After),
5% timeouts (the reply takes longer than the client's timeout), 5% malformed (half garbled HTTP bodies,
half replies that are not the JSON asked for); the rest answer after 5-30 ms. Client: 0.5 s timeout,
verify's own retries and backoff. Prints claims in, verdicts stored ok / failed, duplicates, lost
(claims without a verdict row: must be 0), and peak memory per process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

TOPICS = ["the Kursk offensive", "the Jeddah ceasefire talks", "the ECB rate decision", "cyclone Alfred",
          "the PSG-Liverpool match", "Witkoff's Moscow visit", "the Kremlin's statement", "Kellogg's role"]


def claim_texts(worker: int, n: int) -> list[str]:
    return [f"Claim {worker}-{i}: a statement about {TOPICS[i % len(TOPICS)]} numbered {worker * 100000 + i}."
            for i in range(n)]


# --- worker: one process, one run ------------------------------------------------------------------


def worker(args) -> None:
    import logging

    logging.getLogger("chromadb").setLevel(logging.ERROR)
    from verify.config import Settings
    from verify.models import Article, Claim, Run, Span, Usage, utcnow
    from verify.pipeline import Pipeline, new_run_id

    settings = Settings(model="soak", base_url=args.base_url, embedder="hash", db_path=Path(args.db),
                        vectorstore=Path(args.vs), concurrency=args.concurrency, request_timeout_s=0.5,
                        max_attempts=3, extract_mode="abstractive", use_cache=False)
    pipeline = Pipeline(settings)
    texts = claim_texts(args.worker, args.n)
    text = "\n\n".join(texts)
    article = Article.from_text(text, title=f"Soak article {args.worker}", language="en", source="soak")
    pipeline.store.save_article(article)
    run = Run(id=f"{new_run_id()}-w{args.worker}", article_id=article.id, created_at=utcnow(), status="running",
              settings=pipeline.run_settings())
    pipeline.store.create_run(run)
    claims, pos = [], 0
    for i, t in enumerate(texts):
        start = text.index(t, pos)
        pos = start + len(t)
        claims.append(Claim(id=f"{run.id}-c{i:04d}", run_id=run.id, article_id=article.id, index=i, text=t,
                            text_en=t, quote=t, span=Span(start=start, end=pos), anchor="exact"))
    pipeline.store.save_claims(claims)
    started = time.perf_counter()
    outcome = pipeline.finish(pipeline.judge_all(run, article, claims), Usage())
    print(json.dumps({"run": run.id, "seconds": round(time.perf_counter() - started, 1),
                      "counts": outcome.counts,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


# --- parent: server, library, workers, audit ---------------------------------------------------------


def misbehaving(seed: int):
    from tests.fakes import judge_reply
    from tests.openai_server import Behaviour

    rng = random.Random(seed)
    lock = threading.Lock()
    tally = {"ok": 0, "http_error": 0, "timeout": 0, "malformed": 0}
    good_cited = judge_reply("SUPPORTED", ["S1"])
    good_nei = judge_reply("NOT_ENOUGH_INFO", [])

    def reply(request: dict) -> Behaviour:
        with lock:
            r, pick, latency = rng.random(), rng.random(), rng.uniform(0.005, 0.03)
        if r < 0.10:
            tally["http_error"] += 1
            if pick < 0.25:
                return Behaviour(status=429, headers={"Retry-After": "0.2"}, delay_s=latency)
            return Behaviour(status=[500, 502, 503][int(pick * 3) % 3], delay_s=latency)
        if r < 0.15:
            tally["timeout"] += 1
            return Behaviour(good_nei, delay_s=1.5)
        if r < 0.20:
            tally["malformed"] += 1
            if pick < 0.5:
                return Behaviour(raw_body=b'{"id": "x", "choices": [{"message": {"content": "tru', delay_s=latency)
            return Behaviour('{"verdict": "TRUE", "because": "trust me"}', delay_s=latency)
        tally["ok"] += 1
        return Behaviour(good_cited if "S1:" in request["messages"][1]["content"] else good_nei, delay_s=latency)

    return reply, tally


def audit(db: Path) -> dict:
    with sqlite3.connect(db) as con:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "claims in": one("SELECT COUNT(*) FROM claims"),
            "verdicts stored ok": one("SELECT COUNT(*) FROM verdicts WHERE status = 'ok'"),
            "verdicts stored failed": one("SELECT COUNT(*) FROM verdicts WHERE status = 'error'"),
            "failed with raw output or error kept": one(
                "SELECT COUNT(*) FROM verdicts WHERE status = 'error' AND json_extract(data, '$.error') != ''"),
            "duplicates": one("SELECT COUNT(*) FROM (SELECT claim_id FROM verdicts GROUP BY claim_id HAVING COUNT(*) > 1)")
            + one("SELECT COUNT(*) FROM (SELECT claim_id, rank FROM evidence GROUP BY claim_id, rank HAVING COUNT(*) > 1)")
            + one("SELECT COUNT(*) - COUNT(DISTINCT id) FROM claims"),
            "lost": one("SELECT COUNT(*) FROM claims c LEFT JOIN verdicts v ON v.claim_id = c.id WHERE v.id IS NULL"),
            "runs done": one("SELECT COUNT(*) FROM runs WHERE status = 'done'"),
            "llm requests logged": one("SELECT COUNT(*) FROM llm_calls"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the temporary store and vector store")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--vs", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        return worker(args)

    from tests.openai_server import OpenAICompatibleServer
    from verify.embed import build_embedder
    from verify.ingest import ingest
    from verify.vectorstore import VectorStore

    tmp = Path(tempfile.mkdtemp(prefix="verify-soak-"))
    db, vs = tmp / "soak.db", tmp / "vectorstore"
    report = ingest([str(ROOT / "seeds" / "sources")], VectorStore(vs, "sources", "hash"), build_embedder("hash"))
    reply, tally = misbehaving(args.seed)
    per_worker = [args.claims // args.processes + (1 if i < args.claims % args.processes else 0)
                  for i in range(args.processes)]
    started = time.perf_counter()
    with OpenAICompatibleServer(reply) as server:
        server.httpd.handle_error = lambda request, address: None  # clients that timed out hang up
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(i), "--n", str(n), "--db", str(db),
                                   "--vs", str(vs), "--base-url", server.base_url,
                                   "--concurrency", str(args.concurrency)],
                                  stdout=subprocess.PIPE, text=True)
                 for i, n in enumerate(per_worker)]
        results = [p.communicate()[0] for p in procs]
    elapsed = time.perf_counter() - started
    workers = [json.loads(out.strip().splitlines()[-1]) for out in results if out.strip()]
    figures = audit(db)
    print(f"soak: {args.claims} claims, {args.processes} processes x concurrency {args.concurrency}, "
          f"one store and one vector store ({report.chunks_added} chunks), {elapsed:.0f} s wall")
    print(f"server judge replies: {json.dumps(tally)}")
    for w in workers:
        print(f"  worker run {w['run']}: {w['counts']} in {w['seconds']} s, peak RSS {w['peak_rss_mb']} MB")
    for name, value in figures.items():
        print(f"{name:>38}: {value}")
    peak = max([w["peak_rss_mb"] for w in workers] or [0])
    print(f"{'peak memory (max RSS of a process)':>38}: {peak} MB")
    exit_codes = [p.returncode for p in procs]
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    ok = figures["lost"] == 0 and figures["duplicates"] == 0 and exit_codes == [0] * len(procs) \
        and figures["claims in"] == args.claims
    print("PASS" if ok else f"FAIL (exit codes {exit_codes})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
