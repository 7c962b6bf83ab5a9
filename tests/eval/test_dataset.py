"""Dataset validation names the line; gold evidence follows the shared README's rule."""

import json

import pytest

from verify.evaluation.dataset import DatasetError, load_dataset

OK = {"id": "a", "claim": "Paris is in France.", "label": "SUPPORTED", "language": "en",
      "evidence": [{"source_id": "s1", "title": "Paris", "text": "Paris is the capital of France."}]}


def write(tmp_path, *rows):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def error(tmp_path, *rows) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset(write(tmp_path, *rows))
    return str(info.value)


def test_missing_field_names_line_and_field(tmp_path):
    bad = {k: v for k, v in OK.items() if k != "label"} | {"id": "b"}
    assert error(tmp_path, OK, bad).endswith("set.jsonl:2: missing field(s) label")


def test_unknown_label(tmp_path):
    msg = error(tmp_path, OK | {"label": "TRUE"})
    assert ":1: unknown label 'TRUE'" in msg


def test_duplicate_id(tmp_path):
    assert ":3: duplicate id 'a' (first on line 1)" in error(tmp_path, OK, OK | {"id": "b"}, OK)


def test_invalid_json_and_bad_evidence(tmp_path):
    assert ":2: not valid JSON" in error(tmp_path, OK, "{oops")
    assert ":1: evidence[0]: missing or empty 'text'" in error(tmp_path, OK | {"evidence": [{"source_id": "x"}]})
    assert ":1: evidence[0]: unknown stance 'maybe'" in error(
        tmp_path, OK | {"evidence": [{"source_id": "x", "text": "t", "stance": "maybe"}]})


def test_two_way_set_refuses_three_way_labels(tmp_path):
    msg = error(tmp_path, OK | {"label": "NOT_REFUTED"}, OK | {"id": "b", "label": "REFUTED"}, OK | {"id": "c"})
    assert ":3: label 'SUPPORTED' in a two-way set" in msg
    assert load_dataset(write(tmp_path, OK | {"label": "NOT_REFUTED"})).scheme == "2way"


def test_gold_follows_stance_direction_or_takes_every_item(tmp_path):
    ev = [{"source_id": "s1", "text": "yes", "stance": "SUPPORTS"},
          {"source_id": "s2", "text": "no", "stance": "not_entailment"},
          {"source_id": "s3", "text": "meh", "stance": "NOT_ENOUGH_INFO"}]
    rows = [OK | {"evidence": ev}, OK | {"id": "b", "label": "REFUTED", "evidence": ev},
            OK | {"id": "c", "label": "NOT_ENOUGH_INFO", "evidence": ev}, OK | {"id": "d"}]
    claims = load_dataset(write(tmp_path, *rows)).claims
    assert [[g.source_id for g in c.gold()] for c in claims] == [["s1"], ["s2"], [], ["s1"]]


def test_irrelevant_stance_is_accepted_and_unknown_lists_spellings(tmp_path):
    ev = [{"source_id": "s1", "text": "t", "stance": "Irrelevant"}]
    claim = load_dataset(write(tmp_path, OK | {"evidence": ev})).claims[0]
    assert claim.evidence[0].stance == "NOT_ENOUGH_INFO"
    msg = error(tmp_path, OK | {"evidence": [{"source_id": "x", "text": "t", "stance": "maybe"}]})
    assert "accepted" in msg and "entailment" in msg and "irrelevant" in msg


def test_a_line_is_a_pydantic_model_and_its_problems_keep_the_file_line_messages(tmp_path):
    from verify.evaluation.dataset import EvalClaim

    claim = load_dataset(write(tmp_path, OK | {"extra": "kept out"})).claims[0]
    assert EvalClaim.model_validate(claim.model_dump()) == claim
    assert ":1: expected a JSON object, got list" in error(tmp_path, "[1]")
    assert ":1: 'claim' must be a non-empty string" in error(tmp_path, OK | {"claim": "  "})
    assert ":1: 'evidence' must be a list" in error(tmp_path, OK | {"evidence": "Paris"})
    assert ":1: evidence[0]: expected an object" in error(tmp_path, OK | {"evidence": ["Paris"]})
    assert ":1: evidence[1]: missing or empty 'source_id'" in error(
        tmp_path, OK | {"evidence": OK["evidence"] + [{"source_id": 3, "text": "t"}]})
