"""Failures that look like results (issue 10): a failed extraction is a failed run, resume asks the
model again for what failed, the reply cache serves only a validated reply of the same model, and an
--top-k that would silently starve or flood the judge is refused."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, fake_settings
from tests.fakes import extraction_reply, judge_reply, scripted, selection_reply
from tests.faults.conftest import is_extraction
from tests.openai_server import Behaviour, OpenAICompatibleServer
from verify.cli import app
from verify.config import Settings
from verify.extract import extract_abstractive, extract_extractive, windows
from verify.backends.llamacpp import LlamaCppChat
from verify.structured import StructuredLLM
from verify.models import Article, ExtractionOutput, Run, utcnow
from verify.pipeline import Pipeline
from verify.prompts import load_prompt
from verify.store import Store

GOOD = judge_reply("SUPPORTED", ["S1"])
INVALID = '{"verdict": "true"}'
CLAIMS = [(q, c, e) for q, c, e, _ in SEED_CLAIMS[:2]]
FAIL_FAST = {"Retry-After": "0"}  # HTTP 500 is retried 5 times; no need to wait between tries here


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    result.text = " ".join(result.output.split())  # rich wraps long lines
    return result


def run_id_of(db) -> str:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT id FROM runs ORDER BY created_at DESC").fetchone()[0]


# --- 1. a failed extraction is a failed run, and --resume retries it ------------------------------------------


def test_extraction_http_500_fails_the_run_and_resume_extracts_again(tmp_path, library, monkeypatch):
    endpoint = {"down": True}

    def reply(request):
        if is_extraction(request):
            return Behaviour(status=500, headers=FAIL_FAST) if endpoint["down"] else Behaviour(extraction_reply(*CLAIMS))
        return Behaviour(GOOD)

    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    monkeypatch.setenv("VERIFY_VECTORSTORE", str(library))
    db = tmp_path / "verify.db"
    with OpenAICompatibleServer(reply) as server:
        common = ["--model", "m", "--base-url", server.base_url, "--db", str(db)]
        first = cli("run", str(SEED_ARTICLE), *common)
        run_id = run_id_of(db)
        assert first.exit_code == 1, first.text
        assert "error: claim extraction failed" in first.text and f"--resume {run_id}" in first.text
        assert run_id in cli("runs", "--db", str(db)).output and "failed" in cli("runs", "--db", str(db)).output
        assert "(failed)" in cli("report", run_id, "--format", "md", "--db", str(db)).output

        endpoint["down"] = False
        second = cli("run", "--resume", run_id, *common)
    assert second.exit_code == 0, second.text
    assert f"Claims found: {len(CLAIMS)}" in second.text and f"SUPPORTED {len(CLAIMS)}" in second.text
    run = Store(db).get_run(run_id)
    assert run.status == "done" and run.summary["extraction_failures"] == 0


def test_failed_window_is_extracted_again_on_resume_and_stored_claims_keep_their_ids(library):
    # Two windows (one per paragraph); the second window's extraction fails at first.
    first, second = "The harbour of Port Alba reopened on Monday.", "Three ferries were damaged in the eastern basin."
    endpoint = {"down": True}

    def reply(request):
        text = request["messages"][-1]["content"]
        if is_extraction(request):
            if second in text:
                return Behaviour(status=400) if endpoint["down"] else Behaviour(extraction_reply((second, second, second)))
            return Behaviour(extraction_reply((first, first, first)))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []))

    article = Article.from_text(f"{first}\n\n{second}\n", title="Storm", language="en", source="storm.txt")
    with OpenAICompatibleServer(reply) as server:
        settings = fake_settings(model="m", base_url=server.base_url, vectorstore=library, window_chars=60, window_overlap=0)
        pipeline = Pipeline(settings)
        pipeline.store.save_article(article)
        run = Run(id="r-two", article_id=article.id, created_at=utcnow(), status="running",
                  settings=pipeline.run_settings())
        pipeline.store.create_run(run)
        outcome = pipeline.extract_and_judge(run, article, kept=[])
        assert outcome.run.status == "failed" and [c.text for c in outcome.claims] == [first]
        kept = outcome.claims[0]

        endpoint["down"] = False
        before = len(server.requests)
        resumed = Pipeline(settings).resume(outcome.run.id)
        sent = server.requests[before:]
    assert resumed.run.status == "done"
    assert [(c.id, c.text) for c in resumed.claims] == [(kept.id, first), (f"{outcome.run.id}-c001", second)]
    # The first window came from the cache (after one probe of which model answers); only the new claim was judged.
    assert [r["messages"][-1]["content"] for r in sent if is_extraction(r) and first in r["messages"][-1]["content"]] == []
    assert sum(1 for r in sent if not is_extraction(r) and second in r["messages"][-1]["content"]) == 1
    assert sum(1 for r in sent if not is_extraction(r) and first in r["messages"][-1]["content"]) == 0


# --- 2. resume asks the model again for verdicts that failed on invalid output -----------------------------


def test_resume_rejudges_a_verdict_that_failed_on_invalid_output(library):
    replies = {"judge": INVALID}

    def reply(request):
        return Behaviour(extraction_reply(*CLAIMS[:1])) if is_extraction(request) else Behaviour(replies["judge"])

    with OpenAICompatibleServer(reply) as server:
        settings = fake_settings(model="m", base_url=server.base_url, vectorstore=library)
        failed = Pipeline(settings).run(str(SEED_ARTICLE))
        assert [v.status for v in failed.verdicts.values()] == ["error"] and len(server.requests) == 1 + 3

        replies["judge"] = GOOD
        resumed = Pipeline(settings).resume(failed.run.id)
        assert len(server.requests) == 1 + 3 + 1  # asked again: the bad replies were not replayed from the cache
    verdict = next(iter(resumed.verdicts.values()))
    assert verdict.status == "ok" and verdict.label.value == "SUPPORTED"
    assert resumed.run.summary["usage_this_invocation"]["calls"] == 1
    assert resumed.run.summary["usage_this_invocation"]["cached_calls"] == 0
    assert resumed.run.summary["usage"]["calls"] == 1 + 3 + 1  # extraction, three invalid tries, the good one


def test_an_invalid_reply_is_logged_with_its_error_and_never_cached(tmp_path):
    store = Store(tmp_path / "v.db")
    chat = scripted("not json", '{"claims": []}')
    llm = StructuredLLM(chat, "m", Settings(model="fake"), calls=store.call_log())
    llm.generate(load_prompt("extract_claims"), "text", ExtractionOutput, purpose="extract", run_id=None)
    rows = store.query("SELECT request_hash, error FROM llm_calls ORDER BY id")
    assert rows[0]["error"].startswith("invalid output:") and rows[1]["error"] == ""
    assert store.cached_response(rows[0]["request_hash"]) is None  # the store serves no reply logged with an error
    assert store.cached_response(rows[1]["request_hash"])["response"] == '{"claims": []}'


def test_a_cached_reply_that_does_not_validate_is_not_served(tmp_path):
    """Stores written before this rule cached every reply, bad ones included (logged with no error)."""
    store = Store(tmp_path / "v.db")
    first = StructuredLLM(scripted("{}"), "m", Settings(model="fake", max_attempts=1), calls=store.call_log())
    with pytest.raises(Exception):
        first.generate(load_prompt("extract_claims"), "text", ExtractionOutput, purpose="extract")
    store.db.execute("UPDATE llm_calls SET error = ''")  # as an older verify logged it
    chat = scripted('{"claims": []}')
    again = StructuredLLM(chat, "m", Settings(model="fake", max_attempts=1), calls=store.call_log())
    result = again.generate(load_prompt("extract_claims"), "text", ExtractionOutput, purpose="extract")
    assert len(chat.received) == 1 and result.value.claims == [] and result.usage.calls == 1


def test_cli_summary_counts_calls_sent_and_answered_from_the_cache_apart(tmp_path, library, monkeypatch):
    def reply(request):
        return Behaviour(extraction_reply(*CLAIMS)) if is_extraction(request) else Behaviour(GOOD)

    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    monkeypatch.setenv("VERIFY_VECTORSTORE", str(library))
    with OpenAICompatibleServer(reply) as server:
        common = [str(SEED_ARTICLE), "--model", "m", "--base-url", server.base_url]
        first, second = cli("run", *common), cli("run", *common)
    # Two extraction windows and two claims; the re-run asks the server once which model answers, then
    # takes all four replies from the cache.
    assert "LLM calls: 4 sent to the model, 0 answered from the cache" in first.text
    assert "LLM calls: 1 sent to the model, 4 answered from the cache" in second.text


# --- 3. the cache keys on what identifies the model ----------------------------------------------------------


def test_another_model_behind_the_same_name_and_url_gets_no_cached_reply(library):
    def reply(request):
        return Behaviour(extraction_reply(*CLAIMS[:1])) if is_extraction(request) else Behaviour(GOOD)

    with OpenAICompatibleServer(reply) as server:
        settings = fake_settings(model="m", base_url=server.base_url, vectorstore=library)
        server.model = "model-a-2026-01"
        Pipeline(settings).run(str(SEED_ARTICLE))
        n = len(server.requests)
        Pipeline(settings).run(str(SEED_ARTICLE))  # same model: one probe, the rest from the cache
        assert len(server.requests) == n + 1
        server.model = "model-b-2026-06"  # swapped behind the same --model and --base-url
        n = len(server.requests)
        outcome = Pipeline(settings).run(str(SEED_ARTICLE))
        assert len(server.requests) == n + 1 + 2  # probe, then extraction and judge asked again
    calls = Store(settings.db_path).llm_calls(outcome.run.id)
    assert {c.served_model for c in calls if c.purpose != "identify_model"} == {"model-b-2026-06"}


def _local_llm(path, cache_dir) -> StructuredLLM:
    return StructuredLLM(LlamaCppChat(model_path=str(path)), f"local:{path.name}", Settings(model="fake", cache_dir=cache_dir))


def test_local_model_files_are_told_apart_by_content_not_name(tmp_path):
    a, b, c = tmp_path / "a" / "model.gguf", tmp_path / "b" / "model.gguf", tmp_path / "c" / "renamed.gguf"
    for path, content in ((a, b"weights one"), (b, b"weights two"), (c, b"weights one")):
        path.parent.mkdir()
        path.write_bytes(content)
    ids = [_local_llm(p, tmp_path / "cache").cache_identity for p in (a, b, c)]
    assert ids[0] != ids[1] and ids[0] == ids[2] and ids[0].startswith("local:sha256:")


def test_local_model_hash_is_remembered_by_path_size_and_mtime(tmp_path):
    import json
    import os

    model = tmp_path / "model.gguf"
    model.write_bytes(b"weights one")
    cache = tmp_path / "cache"
    first = _local_llm(model, cache).cache_identity
    memo_file = cache / "file-sha256.json"
    memo = json.loads(memo_file.read_text())
    memo[str(model.resolve())]["sha256"] = "remembered"
    memo_file.write_text(json.dumps(memo))
    assert _local_llm(model, cache).cache_identity == "local:sha256:remembered"  # not read again
    model.write_bytes(b"weights two")
    os.utime(model, ns=(1, 1))
    assert _local_llm(model, cache).cache_identity not in (first, "local:sha256:remembered")


# --- 4. --top-k outside 1..50 is refused --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "51"])
@pytest.mark.parametrize("command", ["run", "eval"])
def test_top_k_outside_1_to_50_is_refused(command, value, tmp_path):
    result = cli(command, str(tmp_path / "missing.txt"), "--top-k", value)
    assert result.exit_code == 2 and f"error: --top-k={value} is not valid" in result.text.replace("'", "")


@pytest.mark.parametrize("command", ["run", "eval"])
def test_verify_top_k_outside_1_to_50_is_refused(command, tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFY_TOP_K", "0")
    result = cli(command, str(tmp_path / "missing.txt"))
    assert result.exit_code == 2 and "error: VERIFY_TOP_K=0 is not valid" in result.text.replace("'", "")


# --- anchoring: a repeated sentence is anchored where the model found it ------------------------------------


REPEATED = "Le pont a été fermé."
ARTICLE = Article.from_text(f"{REPEATED} Il pleuvait depuis lundi. {REPEATED} La mairie a publié un communiqué.",
                            title="t", language="fr", source="a.txt")


def test_extractive_claim_on_a_repeated_sentence_is_anchored_on_the_chosen_one():
    llm = StructuredLLM(scripted(selection_reply("S3")), "fake", Settings(model="fake"))
    claim, = extract_extractive(ARTICLE, llm, load_prompt("select_claims"), "r").claims
    assert claim.span.start == ARTICLE.text.rindex(REPEATED) and claim.text.strip() == REPEATED


def test_abstractive_quote_repeated_in_an_earlier_window_is_anchored_in_its_own_window():
    text = f"{REPEATED} Il pleuvait.\n\nLa mairie a parlé.\n\nRien de neuf.\n\nLe soir, enfin : {REPEATED}"
    article = Article.from_text(text, title="t", language="fr", source="a.txt")
    parts = windows(text, 45, 0)
    assert REPEATED in parts[0].text and REPEATED not in parts[-2].text
    replies = [extraction_reply()] * (len(parts) - 1)
    replies.append(extraction_reply((REPEATED, "Le pont a été fermé le soir.", "The bridge closed.")))
    llm = StructuredLLM(scripted(*replies), "fake", Settings(model="fake"))
    claim, = extract_abstractive(article, llm, load_prompt("extract_claims"), "r", window_chars=45, overlap=0).claims
    assert claim.span.start == text.rindex(REPEATED)


def test_dashboard_says_a_run_whose_extraction_failed_is_missing_claims(library, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    with OpenAICompatibleServer(lambda request: Behaviour(status=400)) as server:
        settings = fake_settings(model="m", base_url=server.base_url, vectorstore=library)
        outcome = Pipeline(settings).run(str(SEED_ARTICLE))
    assert outcome.run.status == "failed"
    monkeypatch.setenv("VERIFY_DB", str(settings.db_path))
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=30)
    at.query_params["run"] = outcome.run.id
    at.run()
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # Markdown escapes removed
    assert any("Claim extraction failed" in text and f"--resume {outcome.run.id}" in text for text in shown)
