"""Claim memory (issue 14): a claim already reviewed in an earlier run is suggested, with its decision,
reviewer, date and citations, on the same claim of a later run; accepting it records a review event that
names the earlier claim. Real runs (real SQLite and Chroma, hash embedder, scripted model)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES, make_pipeline
from tests.fakes import extraction_reply, judge_reply, scripted
from verify.cli import app
from verify.memory import ClaimText, accept, compute_matches, lexical_conflict, suggestions
from verify.review import cite, decide, decisions, events_for

ALTERED = Path(SEED_ARTICLE).with_name("trump-poutine-koursk-altered.fr.txt")
# The seed claims as the altered copy states them: #1 moved to Minsk, #3 negation removed, #2 and #4 unchanged.
ALTERED_CLAIMS = [
    ("Steve Witkoff, a tenu une longue réunion avec M. Poutine jeudi soir à Minsk",
     "Steve Witkoff a rencontré Vladimir Poutine jeudi soir à Minsk.",
     "Steve Witkoff met Vladimir Putin on Thursday evening in Minsk.", "SUPPORTED"),
    SEED_CLAIMS[1],
    ("Karoline Leavitt, a déclaré aux journalistes que M. Trump lui-même avait déjà parlé à M. Poutine",
     "Karoline Leavitt a déclaré que Trump avait déjà parlé à Poutine.",
     "Karoline Leavitt said Trump had already spoken to Putin.", "SUPPORTED"),
    *SEED_CLAIMS[3:],
]


def run_of(article: Path, claims: list[tuple]):
    replies = [extraction_reply(*[(q, c, e) for q, c, e, _ in claims])]
    replies += [judge_reply(label, [] if label == "NOT_ENOUGH_INFO" else ["S1"]) for *_, label in claims]
    pipeline = make_pipeline(scripted(*replies))
    outcome = pipeline.run(str(article), [str(SEED_SOURCES)])
    return outcome.run.id, pipeline.store


def review_first_three(outcome) -> list[str]:
    """Alice rejects claim #1 (REFUTED) citing a sentence, approves #2 and #3."""
    store, run_id = outcome.store, outcome.run.id
    ids = store.claim_ids(run_id)
    verdicts = store.get_verdicts(run_id)
    decide(store, run_id=run_id, claim_id=ids[0], reviewer="Alice", action="reject",
           machine_verdict=verdicts[ids[0]], corrected_label="REFUTED", note="wrong city")
    chunk = store.get_evidence(ids[0])[0].chunk
    cite(store, run_id=run_id, claim_id=ids[0], reviewer="Alice", stance="refutes", chunk=chunk,
         sentence=chunk.sentences[0])
    for cid in ids[1:3]:
        decide(store, run_id=run_id, claim_id=cid, reviewer="Alice", action="approve", machine_verdict=verdicts[cid])
    return ids


def test_the_same_article_run_again_gets_the_earlier_decisions_as_suggestions(store_url, seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)  # `verify run` matched it against the reviewed claims
    ids = store.claim_ids(run_id)
    matched = {m.claim_id: m.source_claim_id for m in store.memory_matches(run_id=run_id)}
    assert matched == {ids[0]: first[0], ids[1]: first[1], ids[2]: first[2]}  # #4 was never reviewed
    [suggestion] = suggestions(store, ids[0])
    assert (suggestion.decision.state, suggestion.decision.label, suggestion.decision.reviewer) == \
        ("rejected", "REFUTED", "Alice")
    assert suggestion.decision.decided_at and [c.stance for c in suggestion.decision.citations] == ["refutes"]
    assert suggestion.link == f"?run={seeded_run.run.id}&claim={first[0]}"


def test_accepting_a_suggestion_records_the_earlier_decision_naming_its_claim(store_url, seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)
    claim = store.claim_ids(run_id)[0]
    [suggestion] = suggestions(store, claim)
    event = accept(store, suggestion=suggestion, reviewer="Bob", machine_verdict=store.get_verdicts(run_id)[claim],
                   expected_last_event=None)
    assert (event.action, event.label_after, event.reviewer) == ("reject", "REFUTED", "Bob")  # machine said SUPPORTED
    assert "accepted from memory" in event.note and first[0] in event.note and seeded_run.run.id in event.note
    decided = decisions(store, run_id)[claim]
    assert decided.label == "REFUTED" and [c.stance for c in decided.citations] == ["refutes"]
    assert decided.citations[0].note.startswith(f"accepted from memory: cited on claim {first[0]}")


def test_the_altered_copy_matches_only_its_unchanged_claims(store_url, seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(ALTERED, ALTERED_CLAIMS)
    ids = store.claim_ids(run_id)
    # Minsk for Moscow and a dropped negation look alike to an embedder; neither is the reviewed claim.
    assert {m.claim_id: m.source_claim_id for m in store.memory_matches(run_id=run_id)} == {ids[1]: first[1]}


def test_a_decision_undone_since_is_no_longer_suggested(store_url, seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)
    claim = store.claim_ids(run_id)[1]
    seen = decisions(store, seeded_run.run.id)[first[1]].last_event_id
    decide(store, run_id=seeded_run.run.id, claim_id=first[1], reviewer="Alice", action="undo", machine_verdict=None,
           expected_last_event=seen)
    assert suggestions(store, claim) == []
    assert compute_matches(store, run_id, "hash") and claim not in {m.claim_id for m in store.memory_matches(run_id=run_id)}


def test_verify_memory_lists_the_matches(store_url, seeded_run):
    review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)
    result = CliRunner().invoke(app, ["memory", run_id])
    assert result.exit_code == 0, result.output
    assert f"claim #1 ~ claim #1 of run {seeded_run.run.id} (similarity 1.00)" in result.output
    assert f"3 claim(s) of run {run_id} resemble claims already reviewed" in result.output
    assert events_for(store, run_id=run_id) == []  # suggestions only: nothing is decided for the reviewer


def test_verify_memory_on_a_missing_run_says_so(store_url, seeded_run):
    result = CliRunner().invoke(app, ["memory", "r-nope"])
    assert result.exit_code == 2 and "error: no run 'r-nope'" in result.output


def test_the_lexical_check_tells_a_changed_figure_place_or_negation_from_a_translation():
    moscow = ClaimText("Steve Witkoff a tenu une longue réunion avec Vladimir Poutine jeudi soir à Moscou.",
                       "Steve Witkoff held a long meeting with Vladimir Putin on Thursday evening in Moscow.", "fr")
    english = ClaimText("US envoy Steve Witkoff met Vladimir Putin for a long meeting in Moscow on Thursday evening.",
                        "US envoy Steve Witkoff met Vladimir Putin for a long meeting in Moscow on Thursday evening.", "en")
    assert lexical_conflict(moscow, english) is None
    minsk = ClaimText(moscow.text.replace("Moscou", "Minsk"), moscow.text.replace("Moscou", "Minsk"), "fr")
    assert lexical_conflict(moscow, minsk) == "different names: Moscou / Minsk"
    tuesday = ClaimText(english.text.replace("Thursday", "Tuesday"), english.text.replace("Thursday", "Tuesday"), "en")
    assert lexical_conflict(moscow, tuesday) == "different dates: thu / tue"
    years = [ClaimText(t, t, "en") for t in ("The war has lasted three years.", "The war has lasted 2 years.")]
    assert lexical_conflict(*years) == "different figures: 3 / 2"
    spoken = [ClaimText(t, t, "fr") for t in ("Trump n'avait pas encore parlé à Poutine.", "Trump avait déjà parlé à Poutine.")]
    assert lexical_conflict(*spoken) == "one is negated, the other not"


def test_a_claim_memory_failure_costs_the_suggestions_never_the_run(store_url, seeded_run, monkeypatch):
    """README: 'Claim memory matching fails during verify run: the run is kept whole' with a warning."""
    from verify import memory
    from verify.errors import VerifyError

    review_first_three(seeded_run)

    def broken(*args, **kwargs):
        raise VerifyError("the store is locked")

    monkeypatch.setattr(memory, "compute_matches", broken)
    notes = []
    replies = [extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS])]
    replies += [judge_reply(label, [] if label == "NOT_ENOUGH_INFO" else ["S1"]) for *_, label in SEED_CLAIMS]
    pipeline = make_pipeline(scripted(*replies))
    pipeline.progress.note = notes.append
    outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    assert outcome.run.status == "done"
    assert len(pipeline.store.get_verdicts(outcome.run.id)) == len(SEED_CLAIMS)  # every verdict kept
    assert not pipeline.store.memory_matches(run_id=outcome.run.id)
    assert any(n.startswith("warning: claim memory not updated (the store is locked)")
               and f"verify memory {outcome.run.id}" in n for n in notes), notes
