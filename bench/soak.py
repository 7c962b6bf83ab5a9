"""Soak test (issue 6): 1,000 claims through retrieve + judge against a misbehaving local
OpenAI-compatible server, with two processes sharing one SQLite store and one Chroma folder.

    python bench/soak.py                       # 1,000 claims, 2 processes x 500, concurrency 16 each
    python bench/soak.py --claims 200 --processes 2 --concurrency 8
    python bench/soak.py --ingest-while-judging  # issue 10: each process also ingests its own sources

With --ingest-while-judging every process works in rounds: ingest a folder of its own new sources
(--files per round, one passage each), then judge its next share of claims; so one process ingests
while the other retrieves and judges, and each ingest crosses Chroma's index save threshold (1,000
writes). Before the fix one process died with `InternalError: Error finding id`. The audit then also
checks the library: every passage counted, every vector readable from a fresh process.

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
    from verify.models import Article, Claim, Run, Span, utcnow
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
    first_call = pipeline.store.last_call_id()
    if args.sources_root:
        outcome = ingest_and_judge_in_rounds(pipeline, run, article, claims, Path(args.sources_root))
    else:
        outcome = pipeline.judge_all(run, article, claims)
    outcome = pipeline.finish(outcome, first_call)
    print(json.dumps({"run": run.id, "seconds": round(time.perf_counter() - started, 1),
                      "counts": outcome.counts,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def ingest_and_judge_in_rounds(pipeline, run, article, claims, root: Path):
    """Ingest this worker's round-r folder, then judge its round-r claims, for every round."""
    from verify.pipeline import RunOutcome

    folders = sorted(root.iterdir())
    share = -(-len(claims) // len(folders))
    verdicts = {}
    for r, folder in enumerate(folders):
        pipeline.ingest([str(folder)])
        verdicts.update(pipeline.judge_all(run, article, claims[r * share : (r + 1) * share]).verdicts)
    return RunOutcome(run=run, article=article, claims=claims, verdicts=verdicts, ingest=None)


def write_sources(root: Path, worker: int, rounds: int, files: int) -> Path:
    """Per round, `files` short sources of this worker's own (one passage each, all texts distinct)."""
    for r in range(rounds):
        folder = root / f"round-{r}"
        folder.mkdir(parents=True)
        for i in range(files):
            n = (worker * rounds + r) * files + i
            (folder / f"w{worker}-r{r}-{i:04d}.md").write_text(
                f"# Dispatch {n}\n\nDispatch {n} on {TOPICS[n % len(TOPICS)]}: officials of delegation {n} "
                f"met on day {n % 31} and agreed on point {n * 7}.\n", encoding="utf-8")
    return root


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


def library_audit(vs: Path) -> dict:
    """From a fresh process: passages counted, and passages whose vector can be read back."""
    code = ("import sys, json; from verify.vectorstore import VectorStore; v = VectorStore(sys.argv[1], 'sources', 'hash'); "
            "print(json.dumps([v.count(), len(v.collection.get(include=['embeddings'])['embeddings'])]))")
    done = subprocess.run([sys.executable, "-c", code, str(vs)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    if done.returncode:
        return {"library passages": "unreadable", "library error": done.stderr.strip().splitlines()[-1]}
    counted, readable = json.loads(done.stdout)
    return {"library passages": counted, "library vectors readable": readable}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the temporary store and vector store")
    parser.add_argument("--ingest-while-judging", action="store_true",
                        help="each process also ingests its own new sources, in rounds between its judging")
    parser.add_argument("--rounds", type=int, default=4, help="with --ingest-while-judging: ingest rounds per process")
    parser.add_argument("--files", type=int, default=400, help="with --ingest-while-judging: sources per round")
    parser.add_argument("--max-seconds", type=int, default=900, help="stop the workers (FAIL) after this long")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--vs", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--sources-root", help=argparse.SUPPRESS)
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
    roots = [write_sources(tmp / f"sources-{i}", i, args.rounds, args.files) if args.ingest_while_judging else None
             for i in range(args.processes)]
    started = time.perf_counter()
    with OpenAICompatibleServer(reply) as server:  # on 127.0.0.1
        server.httpd.handle_error = lambda request, address: None  # clients that timed out hang up
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(i), "--n", str(n), "--db", str(db),
                                   "--vs", str(vs), "--base-url", server.base_url,
                                   "--concurrency", str(args.concurrency)]
                                  + (["--sources-root", str(roots[i])] if roots[i] else []),
                                  stdout=subprocess.PIPE, text=True)
                 for i, n in enumerate(per_worker)]
        results = [finish_within(p, started + args.max_seconds) for p in procs]
    elapsed = time.perf_counter() - started
    workers = [json.loads(out.strip().splitlines()[-1]) for out in results if out.strip()]
    figures = audit(db)
    expected_passages = report.chunks_added + args.processes * args.rounds * args.files * args.ingest_while_judging
    if args.ingest_while_judging:
        figures.update(library_audit(vs))
    print(f"soak: {args.claims} claims, {args.processes} processes x concurrency {args.concurrency}, "
          f"one store and one vector store ({report.chunks_added} chunks"
          + (f", + {args.rounds} x {args.files} sources ingested by each process while the other judges"
             if args.ingest_while_judging else "") + f"), {elapsed:.0f} s wall")
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
    if args.ingest_while_judging:
        ok = ok and figures["library passages"] == figures["library vectors readable"] == expected_passages
    print("PASS" if ok else f"FAIL (exit codes {exit_codes})")
    sys.exit(0 if ok else 1)


def finish_within(proc: subprocess.Popen, deadline: float) -> str:
    """The worker's output; a worker still running at the deadline is killed (and the soak fails)."""
    try:
        return proc.communicate(timeout=max(1.0, deadline - time.perf_counter()))[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


if __name__ == "__main__":
    main()
