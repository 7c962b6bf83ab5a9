"""Crash and resume: SIGKILL `verify run` mid-judging; `verify run --resume RUN_ID` finishes the run
without repeating any finished LLM call and without duplicate rows."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.fakes import extraction_reply, judge_reply
from tests.faults.conftest import is_extraction
from tests.openai_server import Behaviour, OpenAICompatibleServer

FACTS = [
    "The harbour of Port Alba reopened on Monday after the storm.",
    "Three ferries were damaged beyond repair in the eastern basin.",
    "The mayor, Ines Calder, asked the army for forty generators.",
    "Rainfall reached 212 millimetres at the airport weather station.",
    "Power returned to 9,000 homes in the northern suburbs by Wednesday.",
    "A school gymnasium in Dunmore housed 300 evacuated residents.",
    "Insurers estimated the damage at 1.2 billion euros.",
    "The coastal railway line stays closed until the end of the month.",
]
ARTICLE = "Storm recovery\n\n" + "\n\n".join(FACTS) + "\n"


def claim_of(request: dict) -> str:
    user = request["messages"][1]["content"]
    return next(f for f in FACTS if f in user)


def is_probe(request: dict) -> bool:
    return request["messages"][-1]["content"] == "Reply with the word ok."


def verify_cli(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "verify.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_sigkill_mid_judging_then_resume_repeats_no_finished_call(tmp_path, library):
    article = tmp_path / "storm.txt"
    article.write_text(ARTICLE)
    slow = {"delay": 0.5}

    def reply(request):
        if is_extraction(request):
            return Behaviour(extraction_reply(*[(f, f, f) for f in FACTS]))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []), delay_s=slow["delay"])

    db = tmp_path / "verify.db"
    env = dict(os.environ, VERIFY_DB=str(db), VERIFY_VECTORSTORE=str(library), VERIFY_EXTRACT_MODE="abstractive")
    with OpenAICompatibleServer(reply) as server:
        common = ["--model", "m", "--base-url", server.base_url, "--concurrency", "2"]
        first = verify_cli("run", str(article), *common, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if db.exists() and _count(db, "SELECT COUNT(*) FROM verdicts") >= 3:
                break
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL, first.stdout.read()

        run_id = _rows(db, "SELECT id FROM runs")[0][0]
        assert _rows(db, "SELECT status FROM runs")[0][0] == "running"
        finished = {row[0] for row in _rows(db, "SELECT claim_id FROM llm_calls WHERE purpose = 'judge' "
                                                "AND error = '' AND cached = 0")}
        assert 3 <= len(finished) < len(FACTS)
        finished_texts = {row[0] for row in _rows(
            db, f"SELECT text FROM claims WHERE id IN ({','.join('?' * len(finished))})", tuple(finished))}
        before = len(server.requests)

        slow["delay"] = 0.0
        second = verify_cli("run", "--resume", run_id, *common, env=env)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output
        # A cached reply is served after one question to the server about which model answers.
        resumed = [claim_of(r) for r in server.requests[before:] if not is_probe(r)]

    assert not set(resumed) & finished_texts  # no finished call was repeated
    assert len(resumed) == len(FACTS) - len(finished)
    assert _count(db, "SELECT COUNT(*) FROM claims") == len(FACTS)
    assert _count(db, "SELECT COUNT(*) FROM verdicts WHERE status = 'ok'") == len(FACTS)
    assert _count(db, "SELECT COUNT(*) FROM (SELECT claim_id FROM llm_calls WHERE purpose = 'judge' AND error = '' "
                      "AND cached = 0 GROUP BY claim_id HAVING COUNT(*) > 1)") == 0
    assert _count(db, "SELECT COUNT(*) FROM (SELECT claim_id, rank FROM evidence GROUP BY claim_id, rank "
                      "HAVING COUNT(*) > 1)") == 0
    assert _rows(db, "SELECT status FROM runs WHERE id = ?", (run_id,))[0][0] == "done"
    assert f"NOT_ENOUGH_INFO {len(FACTS)}" in output


def _rows(db, sql, params=()):
    with sqlite3.connect(db) as con:
        return con.execute(sql, params).fetchall()


def _count(db, sql) -> int:
    try:
        return _rows(db, sql)[0][0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_run_killed_before_its_claims_were_stored_is_extracted_on_resume(tmp_path, library):
    from tests.conftest import fake_settings
    from verify.models import Run, utcnow
    from verify.pipeline import Pipeline, read_article

    article_path = tmp_path / "storm.txt"
    article_path.write_text(ARTICLE)

    def reply(request):
        if is_extraction(request):
            return Behaviour(extraction_reply(*[(f, f, f) for f in FACTS]))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []))

    with OpenAICompatibleServer(reply) as server:
        pipeline = Pipeline(fake_settings(model="m", base_url=server.base_url, vectorstore=library))
        article = read_article(str(article_path), pipeline.settings)
        pipeline.store.save_article(article)
        run = Run(id="r-killed", article_id=article.id, created_at=utcnow(), status="running",
                  settings=pipeline.run_settings())
        pipeline.store.create_run(run)  # then the process died during extraction
        outcome = pipeline.resume("r-killed")
    assert len(outcome.claims) == len(FACTS) and outcome.run.status == "done"
    assert outcome.run.summary["verdicts"]["NOT_ENOUGH_INFO"] == len(FACTS)
