"""Two `verify run` processes on one store and one vector store; two reviewers on one claim."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES
from tests.fakes import extraction_reply, judge_reply
from tests.faults.conftest import is_extraction
from tests.openai_server import Behaviour, OpenAICompatibleServer
from verify.review import ReviewConflict, decide
from verify.store import Store
from verify.vectorstore import VectorStore


def test_two_runs_at_once_share_the_store_and_vector_store(tmp_path):
    def reply(request):
        if is_extraction(request):
            return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS]))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []), delay_s=0.05)

    db, vs = tmp_path / "shared.db", tmp_path / "shared-vs"
    env = dict(os.environ, VERIFY_DB=str(db), VERIFY_VECTORSTORE=str(vs), VERIFY_EXTRACT_MODE="abstractive")
    with OpenAICompatibleServer(reply) as server:
        args = [sys.executable, "-m", "verify.cli", "run", str(SEED_ARTICLE), "--sources", str(SEED_SOURCES),
                "--model", "m", "--base-url", server.base_url, "--no-cache"]
        procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    with sqlite3.connect(db) as con:
        runs = [r[0] for r in con.execute("SELECT id FROM runs WHERE status = 'done'")]
        per_run = con.execute("SELECT run_id, COUNT(*) FROM verdicts GROUP BY run_id").fetchall()
        claims = con.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM claims").fetchone()
        evidence = con.execute("SELECT c.run_id, COUNT(*) FROM evidence e JOIN claims c ON c.id = e.claim_id "
                               "GROUP BY c.run_id").fetchall()
    assert len(runs) == 2 and sorted(n for _, n in per_run) == [len(SEED_CLAIMS)] * 2  # nothing lost
    assert claims == (2 * len(SEED_CLAIMS), 2 * len(SEED_CLAIMS))  # nothing duplicated
    assert [n for _, n in evidence] == [5 * len(SEED_CLAIMS)] * 2  # both retrieved from the whole library
    # Ingest is serialised by a file lock: one process embedded the library, the other found it unchanged.
    assert sorted("17 added" in o for o in outputs) == [False, True]
    assert sum("17 unchanged" in o for o in outputs) == 1
    assert VectorStore(vs, "sources", "hash").count() == 31


def test_two_reviewers_deciding_one_claim_conflict(seeded_run):
    run_id = seeded_run.run.id
    claim = seeded_run.claims[0]
    verdict = seeded_run.verdicts[claim.id]
    alice, bob = Store(seeded_run.store.path), Store(seeded_run.store.path)  # two dashboards, two connections
    seen_by_both = None  # both opened the claim before anyone decided
    decide(alice, run_id=run_id, claim_id=claim.id, reviewer="alice", action="approve", machine_verdict=verdict,
           expected_last_event=seen_by_both)
    with pytest.raises(ReviewConflict, match="alice changed this claim"):
        decide(bob, run_id=run_id, claim_id=claim.id, reviewer="bob", action="reject", machine_verdict=verdict,
               corrected_label="REFUTED", expected_last_event=seen_by_both)
    rows = alice.query("SELECT reviewer FROM review_events WHERE claim_id = ?", (claim.id,))
    assert [r[0] for r in rows] == ["alice"]  # bob's decision was not silently written over alice's
