"""Claim memory in the dashboard (issue 14): the open claim shows the earlier decision of a close claim
reviewed in another run, with a link to it; one click records it; Ignore hides it."""

from __future__ import annotations

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS
from tests.test_claim_memory import review_first_three, run_of
from tests.ui.conftest import checked, focus, open_app, visible
from verify.review import decisions, events_for


def test_the_open_claim_offers_the_earlier_decision_and_one_click_records_it(seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)
    at = open_app(run_id, reviewer="Bob")
    claim = focus(at)
    assert claim == store.claim_ids(run_id)[0]
    shown = visible(at)
    assert "Reviewed before" in shown and "Corrected to" in shown and "by **Alice** on" in shown
    assert f"(?run={seeded_run.run.id}&claim={first[0]})" in shown and "Their note: wrong city" in shown
    checked(at.button(key=f"memory_accept_{claim}_{first[0]}").click().run())
    [event] = events_for(store, run_id=run_id)
    assert (event.claim_id, event.reviewer, event.label_after) == (claim, "Bob", "REFUTED")
    assert event.note.startswith("accepted from memory: claim #1") and "accepted from memory on claim #1" in visible(at)
    assert len(decisions(store, run_id)[claim].citations) == 1


def test_ignore_hides_the_suggestion_and_records_nothing(seeded_run):
    first = review_first_three(seeded_run)
    run_id, store = run_of(SEED_ARTICLE, SEED_CLAIMS)
    at = open_app(run_id, reviewer="Bob")
    claim = focus(at)
    checked(at.button(key=f"memory_ignore_{claim}_{first[0]}").click().run())
    assert "Reviewed before" not in visible(at)
    assert events_for(store, run_id=run_id) == []
