"""One retry budget per model call: at most max_attempts + 2 requests (5 by default) whatever the mix
of invalid replies and transport faults, every try logged, Retry-After honoured throughout."""

from __future__ import annotations

from tests.faults.conftest import run_against
from tests.fakes import judge_reply
from tests.openai_server import Behaviour
from verify.config import Settings
from verify.structured import StructuredLLM

INVALID = '{"verdict": "true"}'


def judge_calls(run):
    return [c for c in run.pipeline.store.llm_calls(run.outcome.run.id) if c.purpose == "judge"]


def test_the_budget_is_five_requests_per_call_by_default():
    assert StructuredLLM(None, "m", Settings()).max_requests == 5
    assert StructuredLLM(None, "m", Settings(max_attempts=1)).max_requests == 3


def test_transport_faults_and_invalid_replies_share_one_budget(library):
    # Each reply is invalid and each is preceded by a 500: the old nested retries sent 3 x 2 = 6.
    def judge(request, n):
        return Behaviour(status=500, headers={"Retry-After": "2"}) if n % 2 == 0 else Behaviour(INVALID)

    run = run_against(judge, library)
    assert len(run.judge_requests) == 5 and run.sleeps == [2.0, 2.0]  # no wait when no try follows
    assert run.verdict.status == "error" and "500" in run.verdict.error
    errors = [c.error for c in judge_calls(run)]
    assert len(errors) == 5  # every try is in the call log, the failed ones with their error
    assert sum("Error code: 500" in e for e in errors) == 3
    assert sum(e.startswith("invalid output:") for e in errors) == 2


def test_invalid_replies_after_transport_faults_end_at_the_budget(library):
    # Four dropped connections, then an invalid reply: the budget is spent (the old nested retries went
    # on to ask twice more); the reply is kept as raw output.
    run = run_against(lambda request, n: Behaviour(drop=True) if n < 4 else Behaviour(INVALID), library)
    assert len(run.judge_requests) == 5 and run.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert run.verdict.status == "error" and run.verdict.raw_output == INVALID
    assert "no valid output after 1 attempt:" in run.verdict.error


def test_a_valid_reply_within_the_budget_is_used(library):
    good = judge_reply("SUPPORTED", ["S1"])
    run = run_against(lambda request, n: Behaviour(status=503) if n < 3 else Behaviour(good), library)
    assert run.verdict.status == "ok" and len(run.judge_requests) == 4 and run.sleeps == [0.5, 1.0, 2.0]
