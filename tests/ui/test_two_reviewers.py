"""Two reviewers on one run (issue 10): a decision lands on the claim its form was shown for, or raises
the conflict panel; agreeing is not a conflict; undoing someone else's decision asks first."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, checked, decide, focus, open_app, visible
from verify.errors import VerifyError
from verify.review import decide as write_decision
from verify.review import decisions, events_for


def bob_decides(seeded_run, claim_id: str, action: str = "approve", label: str | None = None):
    """Another reviewer's decision, written as his own dashboard would (from a fresh read)."""
    return write_decision(seeded_run.store, run_id=seeded_run.run.id, claim_id=claim_id, reviewer="Bob",
                          action=action, machine_verdict=seeded_run.verdicts[claim_id], corrected_label=label,
                          expected_last_event=decisions(seeded_run.store, seeded_run.run.id)[claim_id].last_event_id)


def in_order(node):
    """The page's elements in the order they are drawn (layout blocks left out)."""
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ not in ("Block", "Column"):
            yield child
        yield from in_order(child)


def test_the_same_decision_by_two_reviewers_is_recorded_without_a_conflict(seeded_run):
    first, second = seeded_run.claims[0].id, seeded_run.claims[1].id
    at = open_app(seeded_run.run.id)  # Alice opens claim #1
    bob_decides(seeded_run, first, "reject", "REFUTED")
    decide(at, "Reject", label="REFUTED", note="agree with Bob")
    assert "Changed by someone else" not in visible(at) and "Recorded: reject" in visible(at)
    events = events_for(seeded_run.store, claim_id=first)
    assert [(e.reviewer, e.action, e.label_after, e.note) for e in events] == [
        ("Bob", "reject", "REFUTED", ""), ("Alice", "reject", "REFUTED", "agree with Bob")]
    assert focus(at) == second  # Alice moved on; Bob now rejects #2 with another label than hers
    bob_decides(seeded_run, second, "reject", "SUPPORTED")
    decide(at, "Reject", label="NOT_ENOUGH_INFO")
    assert "Changed by someone else" in visible(at)  # same action, different label: a conflict
    assert [e.reviewer for e in events_for(seeded_run.store, claim_id=second)] == ["Bob"]


def test_undoing_another_reviewers_decision_asks_first(seeded_run):
    store, first = seeded_run.store, seeded_run.claims[0].id
    bob_decides(seeded_run, first, "reject", "REFUTED")
    at = open_app(seeded_run.run.id)
    checked(at.selectbox(key="claim_select").set_value(first).run())
    checked(at.button(key=f"undo_{first}").click().run())
    assert [e.action for e in events_for(store, claim_id=first)] == ["reject"]  # nothing written yet
    assert "Undo **Bob**'s decision on claim #1 (rejected \\(label corrected\\), ✗ REFUTED)?" in at.warning[0].value
    checked(at.button(key="cancel_undo").click().run())
    assert [e.action for e in events_for(store, claim_id=first)] == ["reject"]
    checked(at.button(key=f"undo_{first}").click().run())
    checked(at.button(key="confirm_undo").click().run())
    events = events_for(store, claim_id=first)
    assert [(e.reviewer, e.action) for e in events] == [("Bob", "reject"), ("Alice", "undo")]
    assert decisions(store, seeded_run.run.id)[first].state == "unreviewed"


def test_the_claim_number_and_text_stand_right_before_the_submit_button(seeded_run):
    second = seeded_run.claims[1]
    at = open_app(seeded_run.run.id)
    checked(at.selectbox(key="claim_select").set_value(second.id).run())
    elements = list(in_order(at.main))
    submit = next(i for i, el in enumerate(elements) if getattr(el, "key", None) == f"submit_{second.id}")
    deciding = elements[submit - 1].value.replace("\\", "")
    assert deciding == f"Deciding claim **#2**: {second.text}"


def test_another_reviewers_decision_does_not_move_the_open_claim(seeded_run):
    """The browser sequence of issue 10 headless: the claim stays open, the change is announced, and the
    submit raises the conflict panel. (Only Chromium reproduces the old jump: AppTest sends widget
    values by identity, a browser sends the selector's option text.)"""
    second = seeded_run.claims[1].id
    at = open_app(seeded_run.run.id)
    checked(at.selectbox(key="claim_select").set_value(second).run())
    bob_decides(seeded_run, second)
    checked(at.radio(key=f"act_{second}").set_value("Reject").run())
    checked(at.radio(key=f"label_{second}").set_value("SUPPORTED").run())
    at.text_input(key=f"note_{second}").input("Kyiv denied it")
    checked(at.run())
    assert focus(at) == second
    assert "Bob** changed this claim after you opened it" in at.warning[0].value
    checked(at.button(key=f"submit_{second}").click().run())
    assert "Changed by someone else" in visible(at)  # not written on any claim until Alice confirms
    assert [e.reviewer for e in events_for(seeded_run.store, run_id=seeded_run.run.id)] == ["Bob"]


def test_the_open_claim_stays_open_when_another_decision_filters_it_out(seeded_run):
    first = seeded_run.claims[0].id
    at = open_app(seeded_run.run.id)
    checked(at.multiselect(key="f_state").select("unreviewed").run())
    assert focus(at) == first
    bob_decides(seeded_run, first)  # claim #1 is no longer unreviewed
    checked(at.radio(key=f"act_{first}").set_value("Needs more evidence").run())
    assert focus(at) == first
    assert "no longer matches the filters" in visible(at)
    checked(at.multiselect(key="f_state").unselect("unreviewed").select("rejected").run())
    assert focus(at) == first  # ...until the reviewer changes the filters


def test_the_open_claim_is_in_the_url(seeded_run):
    third = seeded_run.claims[2].id
    at = open_app(seeded_run.run.id)
    checked(at.selectbox(key="claim_select").set_value(third).run())
    assert at.query_params["claim"] == third
    reopened = AppTest.from_file(str(APP), default_timeout=30)
    reopened.query_params.update({"run": seeded_run.run.id, "claim": third})  # a bookmark or a reload
    assert focus(checked(reopened.run())) == third


def test_a_decision_is_refused_on_a_claim_its_form_was_not_shown_for(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    first, second = seeded_run.claims[0].id, seeded_run.claims[1].id
    seen = bob_decides(seeded_run, first).id  # the event the form of claim #1 saw
    with pytest.raises(VerifyError, match="not shown for claim"):
        write_decision(store, run_id=run_id, claim_id=second, reviewer="Alice", action="approve",
                       machine_verdict=seeded_run.verdicts[second], expected_last_event=seen)
    with pytest.raises(VerifyError, match="not part of run"):
        write_decision(store, run_id="r-other", claim_id=second, reviewer="Alice", action="approve",
                       machine_verdict=seeded_run.verdicts[second])
    assert [e.claim_id for e in events_for(store, run_id=run_id)] == [first]
