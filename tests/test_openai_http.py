"""The OpenAI-compatible path over real HTTP, against a server started on 127.0.0.1 in the test."""

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES, fake_settings
from tests.fakes import extraction_reply, judge_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer, user_text
from verify.pipeline import Pipeline


def scripted_server(request: dict) -> Behaviour:
    if "check-worthy claims from the article" in user_text(request):
        return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS]))
    return Behaviour(judge_reply("SUPPORTED", ["S1"]))


def test_pipeline_runs_against_an_openai_compatible_server():
    with OpenAICompatibleServer(scripted_server) as server:
        settings = fake_settings(model="test-model", base_url=server.base_url, concurrency=4)
        pipeline = Pipeline(settings)
        outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    assert outcome.counts["SUPPORTED"] == len(SEED_CLAIMS)
    assert len(server.requests) == 1 + len(SEED_CLAIMS)
    judge_request = server.requests[-1]
    assert judge_request["model"] == "test-model"
    assert judge_request["response_format"]["type"] == "json_object"
    assert judge_request["response_format"]["schema"]["properties"]["label"]
    assert all(v.model == f"test-model@{server.base_url}" for v in outcome.verdicts.values())


def test_http_errors_are_retried_then_recorded_as_failed_verdicts():
    def flaky(request):
        if "check-worthy claims from the article" in user_text(request):
            return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS[:1]]))
        return Behaviour(status=500)

    with OpenAICompatibleServer(flaky) as server:
        settings = fake_settings(model="m", base_url=server.base_url, max_attempts=1)
        pipeline = Pipeline(settings)
        pipeline.llm.sleep = lambda s: None
        outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    verdict = next(iter(outcome.verdicts.values()))
    assert verdict.status == "error" and verdict.label is None and "500" in verdict.error
    assert outcome.run.summary["verdicts"]["failed"] == 1
    assert len(server.requests) == 1 + 3  # extraction, then 3 attempts at the judge call
