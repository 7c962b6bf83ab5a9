import sqlite3

import httpx
import openai
import pytest

from tests.conftest import SEED_ARTICLE, SEED_SOURCES, make_pipeline, seed_script
from tests.fakes import scripted
from verify.config import Settings
from verify.errors import LLMCallError, StoreError
from verify.structured import StructuredLLM, backoff_seconds, response_format_for
from verify.models import ExtractionOutput
from verify.prompts import load_prompt
from verify.store import MIGRATIONS, Store


def test_every_call_is_logged_with_prompt_version_hash_and_tokens(store_url, seeded_run):
    calls = seeded_run.store.llm_calls(seeded_run.run.id)
    assert [c.purpose for c in calls] == ["extract"] + ["judge"] * 4
    prompt = load_prompt("judge_claim", "v2")  # the judge prompt new runs use
    judge = calls[1]
    assert judge.prompt == prompt.ref and judge.prompt.id == "judge_claim" and judge.prompt.version == "v2"
    assert judge.model == "fake-model" and judge.usage.prompt_tokens == 100 and judge.usage.completion_tokens == 20
    assert judge.usage.latency_s >= 0 and judge.params["temperature"] == 0.0


def test_rerunning_the_same_article_reuses_cached_replies(store_url, seeded_run):
    empty = scripted()  # raises if it is called at all
    second = make_pipeline(empty).run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    assert empty.received == []
    assert second.counts == seeded_run.counts
    assert second.run.summary["usage"]["cached_calls"] == 5


def test_no_cache_calls_the_model_again(store_url, seeded_run):
    chat = scripted(*seed_script())
    make_pipeline(chat, use_cache=False).run(str(SEED_ARTICLE))
    assert len(chat.received) == 5


def test_rate_limit_is_retried_after_the_servers_delay():
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(429, headers={"retry-after": "7"}, request=request)
    rate_limited = openai.RateLimitError("slow down", response=response, body=None)
    assert backoff_seconds(rate_limited, attempt=1) == 7.0

    slept = []
    replies = iter([rate_limited, '{"claims": []}'])

    class Flaky:
        def invoke(self, messages, **kwargs):
            reply = next(replies)
            if isinstance(reply, Exception):
                raise reply
            from langchain_core.messages import AIMessage
            return AIMessage(reply)

    llm = StructuredLLM(Flaky(), "m", Settings(model="fake"), sleep=slept.append)
    result = llm.generate(load_prompt("extract_claims"), "text", ExtractionOutput, purpose="extract")
    assert result.value.claims == [] and slept == [7.0]


def test_non_transient_errors_are_not_retried():
    calls = []

    class Bad:
        def invoke(self, messages, **kwargs):
            calls.append(1)
            raise ValueError("bad request")

    llm = StructuredLLM(Bad(), "m", Settings(model="fake"), sleep=lambda s: None)
    with pytest.raises(LLMCallError, match="bad request"):
        llm.generate(load_prompt("extract_claims"), "text", ExtractionOutput, purpose="extract")
    assert len(calls) == 1


def test_response_format_per_backend():
    schema = ExtractionOutput.model_json_schema()
    assert response_format_for(Settings(model="openai:gpt-4o-mini"), "X", schema)["type"] == "json_schema"
    served = response_format_for(Settings(model="qwen", base_url="http://127.0.0.1:8080/v1"), "X", schema)
    assert served == {"type": "json_object", "schema": schema}


def test_store_applies_migrations_in_order(store_url):
    store = Store(store_url)
    names = [r["name"] for r in store.query("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    if not store.postgres:
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"


def test_older_store_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.executescript(MIGRATIONS[0][1])
    db.execute("INSERT INTO schema_migrations VALUES ('001_initial', 'then')")
    db.commit()
    db.close()
    store = Store(path)
    assert store.query("SELECT count(*) FROM review_events")[0][0] == 0


def test_newer_store_is_refused(store_url):
    store = Store(store_url)
    with store.transaction() as db:
        db.execute("INSERT INTO schema_migrations VALUES ('999_future', 'x')")
    store.close()
    with pytest.raises(StoreError, match="newer verify"):
        Store(store_url)


def test_corrupted_store_gives_a_clear_error(tmp_path):
    (tmp_path / "bad.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable SQLite database"):
        Store(tmp_path / "bad.db")
