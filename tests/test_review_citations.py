"""Reviewer citations (issue 11): append-only events, replayed into the citations in force, in the report."""

from __future__ import annotations

import json

import pytest

from tests.ui.conftest import hostile_run
from verify import review
from verify.errors import VerifyError
from verify.report import render_report
from verify.store import Store


@pytest.fixture
def cited(store_url):  # on SQLite, then PostgreSQL
    store = Store(store_url)
    run, claim = hostile_run(store)
    chunk = store.get_evidence(claim.id)[0].chunk
    return store, run, claim, chunk


def test_a_citation_is_an_event_with_who_and_when_and_reaches_the_report(cited):
    store, run, claim, chunk = cited
    event = review.cite(store, run_id=run.id, claim_id=claim.id, reviewer=" Alice ", stance="refutes", chunk=chunk,
                        sentence=chunk.sentences[0])
    assert (event.reviewer, event.stance, event.source.source_id) == ("Alice", "refutes", "evil")
    assert event.created_at  # stored with its time
    assert [c.id for c in review.decisions(store, run.id)[claim.id].citations] == [event.id]
    report = json.loads(render_report(store, run.id, "json"))
    [entry] = report["claims"][0]["review"]["citations"]
    assert (entry["stance"], entry["text"]) == ("refutes", chunk.sentences[0].text)


def test_re_marking_replaces_and_withdrawing_removes_but_the_log_keeps_everything(cited):
    store, run, claim, chunk = cited
    args = dict(run_id=run.id, claim_id=claim.id, reviewer="Alice", chunk=chunk, sentence=chunk.sentences[0])
    review.cite(store, stance="supports", **args)
    second = review.cite(store, stance="refutes", **args)
    assert [(c.id, c.stance) for c in review.citations_of(store, claim.id)] == [(second.id, "refutes")]
    review.withdraw(store, citation=second, reviewer="Bob")
    assert review.citations_of(store, claim.id) == []
    assert [e.action for e in store.review_citations(claim_id=claim.id)] == ["cite", "cite", "withdraw"]


def test_a_citation_on_a_claim_of_another_run_or_without_a_name_is_refused(cited):
    store, run, claim, chunk = cited
    with pytest.raises(VerifyError, match="not part of run"):
        review.cite(store, run_id="other-run", claim_id=claim.id, reviewer="Alice", stance="supports", chunk=chunk,
                    sentence=chunk.sentences[0])
    with pytest.raises(VerifyError, match="reviewer name is required"):
        review.cite(store, run_id=run.id, claim_id=claim.id, reviewer=" ", stance="supports", chunk=chunk,
                    sentence=chunk.sentences[0])
    assert store.review_citations(run_id=run.id) == []
