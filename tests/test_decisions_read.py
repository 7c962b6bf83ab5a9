"""A run's decisions read again after new events (verify/review.decisions_read): the dashboard replays only
the claims with new review or citation events, and must end with exactly what a full read gives."""

from __future__ import annotations

import pytest

from tests.report.factory import synthetic_run
from verify import review
from verify.store import Store


@pytest.fixture
def run(store_url):  # on SQLite, then PostgreSQL
    store = Store(store_url)
    run_id = synthetic_run(store, n_claims=6, hostile=False, run_id="r-read", n_sources=4, k=2)
    claims = store.claim_ids(run_id)
    return store, run_id, claims


def decide(store, run_id, claim_id, action, label=None, reviewer="Alice"):
    verdict = store.get_verdicts(run_id).get(claim_id)
    return review.decide(store, run_id=run_id, claim_id=claim_id, reviewer=reviewer, action=action,
                         machine_verdict=verdict, corrected_label=label, force=True)


def cite(store, run_id, claim_id, chunk, stance="supports"):
    return review.cite(store, run_id=run_id, claim_id=claim_id, reviewer="Alice", stance=stance, chunk=chunk,
                       sentence=chunk.sentences[0])


def test_the_same_sentence_cited_for_two_claims_is_kept_on_both(run):
    store, run_id, claims = run
    chunk = store.get_evidence(claims[0])[0].chunk
    first, second = cite(store, run_id, claims[0], chunk), cite(store, run_id, claims[1], chunk, "refutes")
    decided = review.decisions(store, run_id)
    assert [c.id for c in decided[claims[0]].citations] == [first.id]
    assert [c.id for c in decided[claims[1]].citations] == [second.id]


def test_a_read_after_new_events_equals_a_full_read_and_replays_only_the_touched_claims(run):
    store, run_id, claims = run
    start = review.decisions(store, run_id)  # the synthetic run comes with decisions of its own
    decide(store, run_id, claims[0], "approve")
    before = review.decisions_read(store, run_id)
    chunk = store.get_evidence(claims[2])[0].chunk
    decide(store, run_id, claims[1], "reject", "REFUTED", reviewer="Bob")
    decide(store, run_id, claims[0], "undo")
    citation = cite(store, run_id, claims[2], chunk)  # a citation alone, no review event
    review.withdraw(store, citation=cite(store, run_id, claims[3], chunk, "refutes"), reviewer="Alice")

    after = review.decisions_read(store, run_id, before)
    full = review.decisions_read(store, run_id)
    assert after == full
    assert after.decisions[claims[0]].state == start[claims[0]].state  # the approve undone
    assert after.decisions[claims[0]].history[-1].action == "undo" and after.decisions[claims[1]].label == "REFUTED"
    assert [c.id for c in after.decisions[claims[2]].citations] == [citation.id]
    assert after.decisions[claims[3]].citations == []
    untouched = claims[4]
    assert after.decisions[untouched] is before.decisions[untouched]  # kept, not replayed
    assert after.decisions[claims[0]] is not before.decisions[claims[0]]
    assert review.decisions_read(store, run_id, after) == full  # nothing new: the same again
