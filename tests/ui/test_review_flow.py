"""Deciding claims in the dashboard: approve, reject, needs evidence, undo, history, progress, conflicts."""

from __future__ import annotations

import re

from tests.ui.conftest import all_html, visible, checked, decide, focus, open_app
from verify.review import decide as write_decision
from verify.review import decisions, events_for


def claim_ids(seeded_run) -> list[str]:
    return [c.id for c in seeded_run.store.get_claims(seeded_run.run.id)]


def test_approve_records_the_decision_and_opens_the_next_unreviewed_claim(seeded_run):
    first, second, *_ = claim_ids(seeded_run)
    at = open_app(seeded_run.run.id)
    assert focus(at) == first
    decide(at, "Approve", note="matches Reuters")
    decision = decisions(seeded_run.store, seeded_run.run.id)[first]
    assert (decision.state, decision.label, decision.reviewer, decision.note) == ("approved", "SUPPORTED", "Alice",
                                                                                    "matches Reuters")
    assert focus(at) == second
    assert "Recorded: approve" in visible(at)


def test_reject_records_the_corrected_label_and_recolours_the_span(seeded_run):
    first = claim_ids(seeded_run)[0]
    at = open_app(seeded_run.run.id)
    assert "#1 ✓ SUPPORTED" in all_html(at)
    decide(at, "Reject", label="REFUTED", note="the meeting was on Friday")
    event = events_for(seeded_run.store, claim_id=first)[-1]
    assert (event.action, event.label_before, event.label_after, event.note) == (
        "reject", "SUPPORTED", "REFUTED", "the meeting was on Friday")
    assert decisions(seeded_run.store, seeded_run.run.id)[first].state == "rejected"
    # The decision reran the review pane only: the article's mark is recoloured in place by script, with the
    # reviewer's label marked as confirmed (tests/ui/test_browser_keys.py checks the mark in Chromium).
    recolour = [h.value for h in at.get("html") if h.value.startswith("<script>/* vf-recolour")]
    assert recolour and '"badge": "#1 ✗ REFUTED ✔", "title": "claim #1: rejected (label corrected)"' in recolour[-1]


def test_needs_more_evidence_is_not_counted_as_reviewed(seeded_run):
    first = claim_ids(seeded_run)[0]
    at = open_app(seeded_run.run.id)
    decide(at, "Needs more evidence", note="find the AP wire")
    assert decisions(seeded_run.store, seeded_run.run.id)[first].state == "needs_evidence"
    progress = at.get("progress")[0]
    assert progress.value == 0 and "1 need more evidence" in progress.text


def test_progress_bar_counts_reviewed_claims(seeded_run):
    at = open_app(seeded_run.run.id)
    assert at.get("progress")[0].text.startswith("Reviewed 0 / 4")
    decide(at, "Approve")
    decide(at, "Reject", label="SUPPORTED")
    progress = at.get("progress")[0]
    assert progress.value == 50 and progress.text.startswith("Reviewed 2 / 4")


def test_undo_appends_an_undo_event_and_restores_the_machine_verdict(seeded_run):
    first = claim_ids(seeded_run)[0]
    at = open_app(seeded_run.run.id)
    decide(at, "Reject", label="NOT_ENOUGH_INFO")
    checked(at.selectbox(key="claim_select").set_value(first).run())
    checked(at.button(key=f"undo_{first}").click().run())
    events = events_for(seeded_run.store, claim_id=first)
    assert [e.action for e in events] == ["reject", "undo"]  # nothing deleted
    assert decisions(seeded_run.store, seeded_run.run.id)[first].state == "unreviewed"
    assert "#1 ✓ SUPPORTED" in all_html(at) and "#1 ✓ SUPPORTED ✔" not in all_html(at)


def test_history_lists_every_event_of_the_claim(seeded_run):
    first = claim_ids(seeded_run)[0]
    at = open_app(seeded_run.run.id)
    decide(at, "Approve", note="first look")
    checked(at.selectbox(key="claim_select").set_value(first).run())
    checked(at.button(key=f"undo_{first}").click().run())
    decide(at, "Reject", label="REFUTED", note="second look")
    checked(at.selectbox(key="claim_select").set_value(first).run())
    entries = [re.sub(r"\\([^\w\s])", r"\1", m.value) for m in at.markdown if " · **Alice** · " in m.value]
    # newest first, each note in full under its event
    assert [e.split(" · ", 2)[2].split("\n")[0] for e in entries] == [
        "rejected ✓ SUPPORTED → ✗ REFUTED", entries[1].split(" · ", 2)[2], "approved ✓ SUPPORTED"]
    assert entries[1].split(" · ", 2)[2].startswith("undo of Alice's approve (✓ SUPPORTED) at ")
    assert entries[0].endswith("> second look") and entries[2].endswith("> first look")
    assert "History (3 events)" in visible(at)


def test_a_concurrent_decision_is_shown_and_needs_explicit_confirmation(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    first = claim_ids(seeded_run)[0]
    at = open_app(run_id)  # Alice's page has loaded claim 1, unreviewed
    bob = write_decision(store, run_id=run_id, claim_id=first, reviewer="Bob", action="reject",
                         machine_verdict=seeded_run.verdicts[first], corrected_label="REFUTED",
                         expected_last_event=None)
    decide(at, "Approve")  # Alice submits from her stale page
    shown = visible(at)
    assert "Changed by someone else" in shown and "Bob" in shown
    assert [e.id for e in events_for(store, claim_id=first)] == [bob.id]  # nothing overwritten
    assert focus(at) == first
    checked(at.button(key="confirm_override").click().run())
    events = events_for(store, claim_id=first)
    assert [(e.reviewer, e.action) for e in events] == [("Bob", "reject"), ("Alice", "approve")]
    assert events[-1].previous_event_id == bob.id and events[-1].label_before == "REFUTED"
    assert decisions(store, run_id)[first].state == "approved"


def test_keeping_the_other_decision_writes_nothing(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    first = claim_ids(seeded_run)[0]
    at = open_app(run_id)
    write_decision(store, run_id=run_id, claim_id=first, reviewer="Bob", action="approve",
                   machine_verdict=seeded_run.verdicts[first])
    decide(at, "Reject", label="REFUTED")
    checked(at.button(key="keep_theirs").click().run())
    assert [e.reviewer for e in events_for(store, claim_id=first)] == ["Bob"]
    assert "Changed by someone else" not in visible(at)
    assert at.button(key=f"submit_{first}")  # the normal form is back, now on Bob's decision


def test_deciding_needs_a_reviewer_name(seeded_run):
    at = open_app(seeded_run.run.id, reviewer=None)
    cid = focus(at)
    assert at.button(key=f"submit_{cid}").disabled
    assert "Enter your name" in visible(at)
    at.text_input(key="reviewer").input("Chloé")
    checked(at.run())
    decide(at, "Approve")
    assert decisions(seeded_run.store, seeded_run.run.id)[cid].reviewer == "Chloé"


def test_reruns_and_decisions_make_no_llm_call(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    calls_before = len(store.llm_calls(run_id))
    prompts_before = len(seeded_run.chat.received)
    at = open_app(run_id)
    decide(at, "Approve")
    checked(at.run())
    assert len(store.llm_calls(run_id)) == calls_before
    assert len(seeded_run.chat.received) == prompts_before
