"""Reviewer decisions as gold (issue 14): `verify export-gold` writes the eval format, `verify eval` scores it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.fakes import judge_reply, register_fake, scripted
from verify import review
from verify.cli import app
from verify.evaluation.dataset import load_dataset

runner = CliRunner()


def reviewed(outcome):
    """Seed run reviewed four ways: #1 approved, #2 rejected (corrected to SUPPORTED, with a reviewer citation),
    #3 needs more evidence, #4 left alone. Returns (claims, verdicts, the reviewer's cited sentence)."""
    store, run_id = outcome.store, outcome.run.id
    claims = store.get_claims(run_id)
    verdicts = store.get_verdicts(run_id)

    def decide(claim, action, **extra):
        review.decide(store, run_id=run_id, claim_id=claim.id, reviewer="Alice", action=action,
                      machine_verdict=verdicts[claim.id], **extra)

    decide(claims[0], "approve")
    chunk = store.get_evidence(claims[1].id)[-1].chunk
    sentence = chunk.sentences[-1]
    review.cite(store, run_id=run_id, claim_id=claims[1].id, reviewer="Bob", stance="supports", chunk=chunk,
                sentence=sentence)
    decide(claims[1], "reject", corrected_label="SUPPORTED", note="the army did say so")
    decide(claims[2], "needs_evidence")
    return claims, verdicts, sentence


def test_export_gold_writes_reviewed_claims_with_the_reviewers_label_and_evidence(seeded_run, tmp_path):
    claims, verdicts, sentence = reviewed(seeded_run)
    out = tmp_path / "gold.jsonl"
    result = runner.invoke(app, ["export-gold", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 reviewed claim(s) from 1 run(s); 2 claim(s) skipped" in " ".join(result.output.split())

    gold = load_dataset(out)  # the eval loader accepts it as it is
    approved, rejected = gold.claims
    assert (approved.claim, approved.label) == (claims[0].text, "SUPPORTED")
    machine_cited = verdicts[claims[0].id].citations[0].text
    assert [(e.text, e.stance) for e in approved.evidence] == [(machine_cited, "SUPPORTS")]
    assert approved.claim_en == claims[0].text_en and approved.meta["reviewer"] == "Alice"

    assert (rejected.label, rejected.meta["machine_label"]) == ("SUPPORTED", "REFUTED")
    # Only the reviewer's citation: the rejected verdict's citations are not gold.
    assert [(e.text, e.stance) for e in rejected.evidence] == [(sentence.text, "SUPPORTS")]
    assert rejected.gold() == rejected.evidence


def test_verify_eval_scores_a_model_against_the_reviewers(seeded_run, tmp_path):
    reviewed(seeded_run)
    gold = tmp_path / "gold.jsonl"
    assert runner.invoke(app, ["export-gold", seeded_run.run.id, "-o", str(gold)]).exit_code == 0

    register_fake(scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("REFUTED", ["S1"])))
    results = tmp_path / "results.json"
    result = runner.invoke(app, ["eval", str(gold), "--mode", "paired", "--model", "fake", "-j", "1",
                                 "--out", str(results)])
    assert result.exit_code == 0, result.output
    scored = json.loads(results.read_text())
    assert scored["classification"]["accuracy"] == 0.5  # the model agrees with the reviewers on one claim of two
    assert scored["citations"]["citation_precision"] == 1.0  # what it cited is the reviewers' evidence

    register_fake(scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("SUPPORTED", ["S1"])))
    pooled = runner.invoke(app, ["eval", str(gold), "--model", "fake", "-j", "1", "--out", str(results)])
    assert pooled.exit_code == 0, pooled.output
    retrieval = json.loads(results.read_text())["retrieval"]
    assert (retrieval["claims_with_gold"], retrieval["recall@5"]) == (2, 1.0)  # the reviewers' sentences are found


def test_export_gold_without_any_reviewed_claim_is_one_error_line(seeded_run, tmp_path):
    result = runner.invoke(app, ["export-gold", "-o", str(tmp_path / "gold.jsonl")])
    assert result.exit_code == 2
    assert result.output.startswith("error: no reviewed claim to export") and "verify ui" in result.output
    assert not (tmp_path / "gold.jsonl").exists()
