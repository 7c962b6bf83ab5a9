"""Pooled and paired evaluation end to end with the scripted model and the hash embedder."""

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import fake_settings
from tests.fakes import judge_reply, scripted
from verify.cli import app
from verify.evaluation.report import markdown
from verify.evaluation.run import EvalConfig, Evaluator

ROWS = [
    {"id": "c1", "claim": "The Eiffel Tower is in Paris.", "label": "SUPPORTED", "language": "en",
     "evidence": [{"source_id": "eiffel", "title": "Eiffel Tower",
                   "text": "The Eiffel Tower is a wrought-iron tower in Paris, France.", "stance": "SUPPORTS"}]},
    {"id": "c2", "claim": "The Moon is made of cheese.", "label": "REFUTED", "language": "en",
     "evidence": [{"source_id": "moon", "title": "Moon",
                   "text": "The Moon is a rocky body made of silicate rock and metal.", "stance": "REFUTES"}]},
    {"id": "c3", "claim": "Bananas grow fastest in Norway.", "label": "NOT_ENOUGH_INFO", "language": "en",
     "evidence": [{"source_id": "banana", "title": "Banana", "text": "Bananas are grown in tropical regions.",
                   "stance": "NOT_ENOUGH_INFO"}]},
]


def dataset(tmp_path, rows=ROWS):
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def replies():
    # c1 right with a gold citation, c2 wrong (SUPPORTED), c3 a reply that never validates -> failed
    return [judge_reply("SUPPORTED", ["S1"]), judge_reply("SUPPORTED", ["S1"])] + ['{"label": "maybe"}'] * 3


def test_pooled_eval_scores_retrieval_verdicts_citations_and_failures(tmp_path):
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="pooled")
    chat = scripted(*replies())
    results = Evaluator(cfg, fake_settings(top_k=1), chat=chat, model_id="fake-model").run()
    cls = results["classification"]
    assert cls["confusion"]["matrix"] == [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]
    assert cls["failed"] == 1 and results["failures"][0]["id"] == "c3"
    assert results["retrieval"]["claims_with_gold"] == 2 and results["retrieval"]["recall@10"] == 1.0
    assert results["citations"]["citation_validity"] == 1.0
    assert results["usage"]["calls"] == 5 and results["usage"]["calls_per_claim"] == round(5 / 3, 3)
    assert "Eiffel" in chat.prompts[0]  # the claim's own evidence was retrieved for it
    assert "| accuracy | 0.333 |" in markdown(results)


def test_paired_eval_judges_each_claim_against_its_own_evidence(tmp_path):
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="paired")
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"]),
                    judge_reply("NOT_ENOUGH_INFO", []))
    results = Evaluator(cfg, fake_settings(), chat=chat, model_id="fake-model").run()
    assert results["classification"]["accuracy"] == 1.0 and results["retrieval"] is None
    assert results["citations"] == {"citations": 2, "citation_precision": 1.0, "citation_validity": 1.0}
    assert "Moon is a rocky body" in chat.prompts[1] and "Eiffel" not in chat.prompts[1]


def test_two_way_set_maps_predictions(tmp_path):
    rows = [dict(ROWS[0], label="NOT_REFUTED"), dict(ROWS[1])]
    chat = scripted(judge_reply("NOT_ENOUGH_INFO", []), judge_reply("REFUTED", ["S1"]))
    results = Evaluator(EvalConfig(dataset=dataset(tmp_path, rows), mode="paired"), fake_settings(),
                        chat=chat, model_id="fake-model").run()
    assert results["classification"]["accuracy"] == 1.0
    assert [c["scored_as"] for c in results["claims"]] == ["NOT_REFUTED", "REFUTED"]


def test_limit_takes_a_seeded_label_balanced_sample(tmp_path):
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"]))
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="paired", limit=2, seed=3)
    results = Evaluator(cfg, fake_settings(), chat=chat, model_id="fake-model").run()
    assert results["claims_judged"] == 2 and len({c["gold"] for c in results["claims"]}) == 2


def test_excluded_claims_are_never_judged_but_their_evidence_stays_in_the_pooled_library(tmp_path):
    """bench/quality.py leaves out the claims the offline calibrator was fitted on: its figures are on
    claims the calibrator has not seen, against the same library."""
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("NOT_ENOUGH_INFO", []))
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="pooled", exclude_ids=frozenset({"c2"}))
    results = Evaluator(cfg, fake_settings(top_k=3), chat=chat, model_id="fake-model").run()
    assert [c["id"] for c in results["claims"]] == ["c1", "c3"]
    assert results["claims_in_set"] == 3
    assert all("Moon is a rocky body" in prompt for prompt in chat.prompts)  # c2's evidence, still pooled


def test_cli_reports_a_bad_dataset_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps(dict(ROWS[1], label="FALSE")) + "\n")
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert "bad.jsonl:2: unknown label 'FALSE'" in " ".join(result.output.split())


# --- issue 13: the eval as a run, unreadable sources, cached calls, paired wording ---------------------


@pytest.mark.sqlite_only(reason="reads the run back from the file tmp_path/verify.db, not from VERIFY_DB")
def test_eval_keeps_its_verdicts_and_citations_as_a_run_that_show_opens(tmp_path):
    from tests.fakes import register_fake
    from verify.store import Store

    register_fake(scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"]),
                           judge_reply("NOT_ENOUGH_INFO", [])))
    out = tmp_path / "results.json"
    result = CliRunner().invoke(app, ["eval", str(dataset(tmp_path)), "--mode", "paired", "--model", "fake", "-j", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    run_id = json.loads(out.read_text())["run_id"]
    assert f"verify show {run_id}" in " ".join(result.output.split())
    store = Store(tmp_path / "verify.db", read_only=True)
    assert store.get_run(run_id).status == "done"
    verdicts = store.get_verdicts(run_id)
    claims = store.get_claims(run_id)
    assert [c.text for c in claims] == [r["claim"] for r in ROWS]
    moon = next(c for c in claims if c.text.startswith("The Moon"))
    assert verdicts[moon.id].label.value == "REFUTED"
    assert "rocky body" in verdicts[moon.id].citations[0].text
    assert "rocky body" in store.get_evidence(moon.id)[0].chunk.text
    article = store.get_article(claims[0].article_id)
    assert all(article.text[c.span.start:c.span.end] == c.text for c in claims)
    shown = CliRunner().invoke(app, ["show", run_id])
    assert shown.exit_code == 0 and "The Moon is made of cheese." in shown.output


def test_unreadable_source_files_are_listed_and_counted(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    (library / "eiffel.md").write_text("The Eiffel Tower is a wrought-iron tower in Paris, France.\n")
    (library / "broken.pdf").write_bytes(b"not a pdf at all")
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="pooled", limit=1,
                     sources=[str(library), str(tmp_path / "missing.txt")])
    results = Evaluator(cfg, fake_settings(top_k=1), chat=scripted(judge_reply("SUPPORTED", ["S1"])),
                        model_id="fake-model").run()
    assert results["unreadable_source_count"] == 2
    assert {u["source"] for u in results["unreadable_sources"]} == {str(library / "broken.pdf"),
                                                                    str(tmp_path / "missing.txt")}
    assert "| unreadable sources (left out of the library) | 2 |" in markdown(results)


def test_calls_and_tokens_per_claim_count_cached_replies_and_say_which(tmp_path):
    cfg = EvalConfig(dataset=dataset(tmp_path), mode="paired")
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"]), judge_reply("NOT_ENOUGH_INFO", []))
    first = Evaluator(cfg, fake_settings(), chat=chat, model_id="fake-model").run()
    again = Evaluator(cfg, fake_settings(), chat=scripted(), model_id="fake-model").run()  # all from the cache
    assert (first["usage"]["calls"], first["usage"]["cached_calls"]) == (3, 0)
    assert (again["usage"]["calls"], again["usage"]["cached_calls"]) == (0, 3)
    for results in (first, again):
        assert results["usage"]["calls_per_claim"] == 1.0
        assert results["usage"]["prompt_tokens_per_claim"] == 100 and results["usage"]["completion_tokens_per_claim"] == 20
    assert again["usage"]["sent_prompt_tokens_per_claim"] == 0
    assert "| LLM calls per claim (sent + cached) | 1.00 (0.00 sent + 1.00 cached) |" in markdown(again)
    assert "| tokens per claim, prompt / completion (sent + cached) | 100 / 20 (sent: 0 / 0) |" in markdown(again)


def test_paired_summary_says_there_was_no_retrieval(tmp_path):
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"]), judge_reply("NOT_ENOUGH_INFO", []))
    results = Evaluator(EvalConfig(dataset=dataset(tmp_path), mode="paired"), fake_settings(), chat=chat,
                        model_id="fake-model").run()
    text = markdown(results)
    assert "no retrieval (paired)" in text and "None" not in text


def test_a_postgresql_store_is_named_in_the_results_without_its_password(tmp_path, postgres_url):
    # Trust authentication on the test server ignores the password, so the store really opens.
    url = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    cfg = EvalConfig(dataset=dataset(tmp_path, ROWS[:1]), mode="paired")
    chat = scripted(judge_reply("SUPPORTED", ["S1"]))
    results = Evaluator(cfg, fake_settings(db_path=url), chat=chat, model_id="fake-model").run()
    assert "s3cret-pw" not in json.dumps(results) and "127.0.0.1" in json.dumps(results)
