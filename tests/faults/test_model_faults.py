"""A misbehaving model endpoint: retried where that helps, then a failed verdict that keeps the raw
output and the error; the run always completes and its summary counts the failures."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS
from tests.fakes import extraction_reply, judge_reply
from tests.faults.conftest import is_extraction, run_against
from tests.openai_server import Behaviour, OpenAICompatibleServer
from verify.cli import app

GOOD = judge_reply("SUPPORTED", ["S1"])
BAD_REPLIES = {
    "malformed JSON": '{"rationale": "The evidence says so", "label": "SUPP',
    "valid JSON, wrong schema": '{"verdict": "true", "score": 3, "sources": ["bbc"]}',
    "label outside the set": json.dumps({"rationale": "r", "citations": [{"id": "S1", "stance": "supports"}], "label": "MOSTLY_TRUE", "confidence": 0.7}),
    "citations outside the evidence": json.dumps({"rationale": "r", "citations": [{"id": "S999", "stance": "supports"}], "label": "SUPPORTED", "confidence": 0.9}),
    # Each cited sentence refutes the claim, yet the label says SUPPORTED: fed back, never relabelled (issue 11).
    "SUPPORTED citing only refuting sentences": judge_reply("REFUTED", ["S1"]).replace("REFUTED", "SUPPORTED"),
    "a refusal": "I'm sorry, but I can't help with verifying political claims.",
    "an empty reply": "",
}


def assert_failed_and_counted(run, *, error: str) -> None:
    verdict = run.verdict
    assert verdict.status == "error" and verdict.label is None and not verdict.citations
    assert error in verdict.error
    stored = run.pipeline.store.get_verdicts(run.outcome.run.id)[verdict.claim_id]
    assert stored.status == "error" and stored.error == verdict.error and stored.raw_output == verdict.raw_output
    assert run.outcome.run.status == "done" and run.outcome.run.summary["verdicts"]["failed"] == 1


@pytest.mark.parametrize("case", list(BAD_REPLIES))
def test_invalid_reply_is_retried_then_stored_as_failed_with_raw_output(case, library):
    run = run_against(lambda request, n: Behaviour(BAD_REPLIES[case]), library)
    assert_failed_and_counted(run, error="no valid output after 3 attempts")
    assert run.verdict.raw_output == BAD_REPLIES[case]
    assert len(run.judge_requests) == 3  # the validation error is fed back twice
    assert "did not match the required JSON schema" in run.judge_requests[-1]["messages"][-1]["content"]


def test_a_verdict_against_its_own_citations_is_fed_back_then_stored_failed(library):
    bad = BAD_REPLIES["SUPPORTED citing only refuting sentences"]
    run = run_against(lambda request, n: Behaviour(bad), library)
    assert "a SUPPORTED verdict cites only sentences that refute the claim" in run.judge_requests[1]["messages"][-1]["content"]
    assert_failed_and_counted(run, error="cites only sentences that refute the claim")


def test_each_machine_citation_is_stored_with_its_stance(library):
    reply = judge_reply("REFUTED", [("S1", "refutes"), ("S2", "supports")], allowed=["S1", "S2"])
    run = run_against(lambda request, n: Behaviour(reply), library)
    stored = run.pipeline.store.get_verdicts(run.outcome.run.id)[run.verdict.claim_id]
    assert stored.prompt.version == "v2" and [c.stance for c in stored.citations] == ["refutes", "supports"]


def test_invalid_reply_then_a_valid_one_gives_an_ok_verdict(library):
    run = run_against(lambda request, n: Behaviour(BAD_REPLIES["label outside the set"] if n == 0 else GOOD), library)
    assert run.verdict.status == "ok" and run.verdict.label.value == "SUPPORTED"
    assert run.outcome.run.summary["verdicts"]["failed"] == 0


def test_malformed_http_body_is_retried(library):
    run = run_against(lambda request, n: Behaviour(raw_body=b'{"choices": [{"mess') if n < 2 else Behaviour(GOOD), library)
    assert run.verdict.status == "ok" and len(run.judge_requests) == 3


def test_timeout_is_retried_with_backoff_then_succeeds(library):
    run = run_against(lambda request, n: Behaviour(GOOD, delay_s=3.0 if n == 0 else 0.0), library,
                      request_timeout_s=1.0)
    assert run.verdict.status == "ok" and len(run.judge_requests) == 2 and run.sleeps == [0.5]


def test_endless_timeouts_become_a_failed_verdict(library):
    run = run_against(lambda request, n: Behaviour(GOOD, delay_s=0.8), library, request_timeout_s=0.2, max_attempts=1)
    assert_failed_and_counted(run, error="Timeout")
    assert len(run.judge_requests) == 3 and run.sleeps == [0.5, 1.0]  # attempts = max_attempts + 2
    calls = run.pipeline.store.llm_calls(run.outcome.run.id)
    assert sum(1 for c in calls if "Timeout" in c.error) == 3  # every failed attempt is logged


def test_http_429_honours_retry_after(library):
    run = run_against(lambda request, n: Behaviour(status=429, headers={"Retry-After": "7"}) if n == 0 else Behaviour(GOOD),
                      library)
    assert run.verdict.status == "ok" and run.sleeps == [7.0]


def test_http_500_is_retried_then_stored_as_failed(library):
    run = run_against(lambda request, n: Behaviour(status=500), library, max_attempts=1)
    assert_failed_and_counted(run, error="500")
    assert len(run.judge_requests) == 3 and run.sleeps == [0.5, 1.0]


def test_http_400_is_not_retried(library):
    run = run_against(lambda request, n: Behaviour(status=400), library)
    assert_failed_and_counted(run, error="400")
    assert len(run.judge_requests) == 1 and run.sleeps == []


def test_dropped_connection_mid_run_is_retried_and_the_run_completes(library):
    # Three claims; the second claim's first request loses its connection, the third always does.
    def judge(request, n):
        text = request["messages"][-1]["content"]
        if SEED_CLAIMS[2][1] in text:
            return Behaviour(drop=True)
        return Behaviour(drop=True) if n == 1 else Behaviour(GOOD)

    run = run_against(judge, library, n_claims=3, max_attempts=1)
    counts = run.outcome.run.summary["verdicts"]
    assert counts["SUPPORTED"] == 2 and counts["failed"] == 1 and run.outcome.run.status == "done"
    failed = [v for v in run.outcome.verdicts.values() if v.status == "error"]
    assert "Connection" in failed[0].error


def test_cli_run_says_how_many_verdicts_failed(tmp_path, monkeypatch):
    claims = [(q, c, e) for q, c, e, _ in SEED_CLAIMS[:2]]

    def reply(request):
        if is_extraction(request):
            return Behaviour(extraction_reply(*claims))
        return Behaviour("not json" if SEED_CLAIMS[1][1] in request["messages"][1]["content"] else GOOD)

    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    with OpenAICompatibleServer(reply) as server:
        result = CliRunner().invoke(app, ["run", str(SEED_ARTICLE), "--sources", "seeds/sources", "--model", "m",
                                          "--base-url", server.base_url])
    assert result.exit_code == 0, result.output
    assert "1 verdict(s) failed; raw outputs are stored" in result.output
