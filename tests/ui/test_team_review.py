"""Assignment, My queue, blind second review, the editor's final decision and the agreement figure in the
dashboard (issue 14), driven headless with AppTest against a real store and a real users file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_team import first_decides, ids, second_decides
from tests.ui.conftest import APP, all_html, checked, visible
from tests.ui.test_auth import PASSWORDS, log_in, open_team_app, users_file
from verify import team
from verify.review import decide, decisions, events_for


@pytest.fixture
def crew(seeded_run, tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(tmp_path / "users.yaml"))
    return seeded_run


def signed_in(run_id: str | None, who: str):
    at = open_team_app(run_id) if run_id else checked(AppTest.from_file(str(APP), default_timeout=30).run())
    return log_in(at, who, PASSWORDS[who])


def everything(at) -> str:
    """All the page sent: text, HTML, tables, widget labels and options."""
    tables = [str(df.value.to_dict()) for df in at.dataframe]
    widgets = [str(getattr(w, "options", "")) + str(getattr(w, "value", "")) for w in
               [*at.selectbox, *at.radio, *at.multiselect, *at.text_input]]
    return "\n".join([visible(at), all_html(at), *tables, *widgets])


def open_claim(at, claim_id: str):
    return checked(at.selectbox(key="claim_select").set_value(claim_id).run())


def test_an_editor_assigns_the_run_in_the_sidebar_and_a_reviewer_cannot(crew):
    at = signed_in(crew.run.id, "erin")
    at.selectbox(key="assign_second").set_value("bob")
    checked(at.selectbox(key="assign_to").set_value("alice").run())
    checked(at.button(key="assign_submit").click().run())
    assert "Assigned the whole run to alice, with bob as blind second reviewer." in visible(at)
    assert "alice: 4 claims · bob (blind second): 4 claims" in visible(at)
    events = crew.store.assignment_events(run_id=crew.run.id)
    assert [(e.reviewer, e.slot, e.actor, e.claim_id) for e in events] == [("alice", "first", "erin", None),
                                                                          ("bob", "second", "erin", None)]
    reviewer_page = signed_in(crew.run.id, "alice")
    assert not [b for b in reviewer_page.button if b.key == "assign_submit"], "a reviewer gets no assign box"


def test_my_queue_lists_open_items_with_counts_and_opens_the_claim(crew):
    c1, c2, *_ = ids(crew)
    team.assign(crew.store, crew.run.id, by="erin", to="alice", second="bob", claim_ids=[c1, c2])
    first_decides(crew, c1, "approve")
    at = signed_in(None, "bob")
    assert "**2** open: blind second review **2**" in visible(at)
    assert [b.key for b in at.button if b.key.startswith("queue_")] == [f"queue_second_{c1}", f"queue_second_{c2}"]
    alice = signed_in(None, "alice")
    assert "**1** open: to review **1**" in visible(alice)
    checked(alice.button(key=f"queue_first_{c2}").click().run())
    assert alice.selectbox(key="claim_select").value == c2, "the queue opens the claim in its run"


def test_the_blind_second_reviewer_never_loads_the_first_decision(crew):
    run_id = crew.run.id
    c1, c2, *_ = ids(crew)
    team.assign(crew.store, run_id, by="erin", to="alice", second="bob")
    first_decides(crew, c1, "reject", "NOT_ENOUGH_INFO")
    decide_note = "alice-secret-note"
    decide(crew.store, run_id=run_id, claim_id=c2, reviewer="alice", action="approve",
           machine_verdict=crew.verdicts[c2], note=decide_note)
    at = open_claim(signed_in(run_id, "bob"), c1)
    for view in ("Review", "All claims", "Activity"):
        checked(at.segmented_control(key="view").set_value(view).run())
        page = everything(at)
        assert "alice" not in page and "Alice" not in page and decide_note not in page, view
        assert "NEEDS_EVIDENCE" not in page
    checked(at.segmented_control(key="view").set_value("Review").run())
    assert "Blind second review of claim #1" in visible(at)
    assert not [b for b in at.button if b.key == f"submit_{c1}"], "the first review's form is not drawn"
    assert not [b for b in at.download_button], "no report download (it carries every decision)"
    assert "Second-review agreement" not in visible(at)

    checked(at.radio(key=f"second_act_{c1}").set_value("Reject").run())
    checked(at.radio(key=f"second_label_{c1}").set_value("REFUTED").run())
    checked(at.button(key=f"second_submit_{c1}").click().run())
    assert "Recorded your blind decision: rejected (label corrected), ✗ REFUTED on claim #1." in visible(at)
    assert at.selectbox(key="claim_select").value == c2, "on to the next claim without a blind decision"
    assert [(t.reviewer, t.kind, t.label) for t in crew.store.team_decisions(run_id=run_id)] == \
        [("bob", "second", "REFUTED")]
    assert [e.reviewer for e in events_for(crew.store, run_id=run_id)] == ["alice", "alice"], \
        "the blind decision is not a review event"
    assert "alice" not in everything(at)


def test_the_editor_resolves_a_disagreement_and_sees_the_agreement(crew):
    run_id = crew.run.id
    c1, c2, *_ = ids(crew)
    team.assign(crew.store, run_id, by="erin", to="alice", second="bob", claim_ids=[c1, c2])
    for cid in (c1, c2):
        first_decides(crew, cid, "approve")
    second_decides(crew, c1, "reject", "REFUTED")
    second_decides(crew, c2, "approve")
    at = signed_in(None, "erin")
    assert "disagreement to resolve **1**" in visible(at)
    checked(at.button(key=f"queue_resolve_{c1}").click().run())
    text = visible(at)
    assert "Second-review agreement**: kappa 0.00 · raw agreement 50% (1 of 2 claims) · 1 disagreement" in text
    assert "Disagreement on claim #1" in text and "First review: **alice**" in text
    assert "Blind second review: **bob**, rejected (label corrected), ✗ REFUTED" in text
    checked(at.radio(key=f"final_label_{c1}").set_value("REFUTED").run())
    checked(at.button(key=f"final_submit_{c1}").click().run())
    assert "Final decision: ✗ REFUTED on claim #1 by erin (editor)." in visible(at)
    final = [t for t in crew.store.team_decisions(run_id=run_id) if t.kind == "final"]
    assert [(t.reviewer, t.role, t.label) for t in final] == [("erin", "editor", "REFUTED")]
    assert decisions(crew.store, run_id)[c1].label == "REFUTED"
    assert "disagreement" not in visible(at).split("Second-review agreement")[1].split("\n")[0]
