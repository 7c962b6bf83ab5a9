"""Safe deciding (issue 11): nothing preselected, Submit enabled only once the decision is complete,
the claim's number and current state on the form, a decision for a claim that is no longer open
refused, and the key handler bound to the open claim's own widgets (no claim text in the script)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import checked, decide, focus, open_app, open_section, visible
from ui.keys import widget_class
from verify.review import events_for


def submit_button(at, cid: str):
    return at.button(key=f"submit_{cid}")


def test_nothing_is_preselected_and_submit_waits_for_a_complete_decision(seeded_run):
    at = open_app(seeded_run.run.id)
    cid = focus(at)
    assert at.radio(key=f"act_{cid}").value is None
    assert submit_button(at, cid).disabled
    checked(at.radio(key=f"act_{cid}").set_value("Reject").run())
    assert at.radio(key=f"label_{cid}").value is None
    assert submit_button(at, cid).disabled  # rejecting needs the corrected label
    checked(at.radio(key=f"label_{cid}").set_value("REFUTED").run())
    assert not submit_button(at, cid).disabled
    checked(at.radio(key=f"act_{cid}").set_value("Needs more evidence").run())
    assert not submit_button(at, cid).disabled
    assert events_for(seeded_run.store, run_id=seeded_run.run.id) == []


def test_the_form_names_the_claim_and_its_current_state(seeded_run):
    at = open_app(seeded_run.run.id)
    first = focus(at)
    assert "Decision for claim #1** · now: not reviewed yet" in visible(at)
    decide(at, "Reject", label="REFUTED")
    checked(at.selectbox(key="claim_select").set_value(first).run())
    assert "Decision for claim #1** · now: rejected (label corrected), ✗ REFUTED by Alice" in visible(at)


def test_a_submit_for_a_claim_that_is_no_longer_open_records_nothing(seeded_run):
    """A stale click (a double Ctrl+Enter, a button still on screen while the page moves on) carries
    the claim its form was drawn for; when that is not the open claim, nothing is written."""
    at = open_app(seeded_run.run.id)
    first = focus(at)
    checked(at.radio(key=f"act_{first}").set_value("Approve").run())
    second = at.selectbox(key="claim_select").options[1]
    at.session_state["focus_claim"] = at.session_state["claim_select"] = second  # the page moved on
    checked(submit_button(at, first).click().run())
    assert events_for(seeded_run.store, run_id=seeded_run.run.id) == []
    assert "no longer open: nothing was recorded" in visible(at)


def test_the_key_handler_targets_the_open_claims_widgets_only(seeded_run):
    at = open_app(seeded_run.run.id)
    cid = focus(at)
    script = next(h.value for h in at.get("html") if h.value.startswith("<script>/* vf-keys */"))
    assert widget_class(f"submit_{cid}") in script and widget_class(f"act_{cid}") in script
    claim = seeded_run.store.get_claims(seeded_run.run.id)[0]
    assert claim.text not in script and claim.quote not in script  # static code and class names only
    assert "J/K next/previous" in visible(at)


def test_the_claims_rarely_used_sections_are_drawn_only_once_opened(seeded_run):
    """The claim editor (with its run-long merge list), the publication form and adding a source are folded
    and drawn only once opened: drawn folded, they cost every decide + next in the browser."""
    at = open_app(seeded_run.run.id)
    cid = focus(at)
    keys = {f"merge_{cid}", f"pub_claimant_{cid}", f"addurl_{cid}"}
    drawn = {w.key for kind in (at.selectbox, at.text_input) for w in kind}
    assert not keys & drawn
    assert {e.label.split(":")[0] for e in at.expander} >= {"Edit claim #1", "Add a source to the library"}
    for section in (f"edit_open_{cid}", f"pub_open_{cid}", f"add_source_open_{cid}"):
        at = open_section(at, section)
    drawn = {w.key for kind in (at.selectbox, at.text_input) for w in kind}
    assert keys <= drawn


@pytest.mark.sqlite_only(reason="writes its run into the file tmp_path/verify.db, not at VERIFY_DB")
def test_a_long_runs_selector_lists_the_claims_around_the_open_one_and_next_steps_past_them(tmp_path):
    """The claim selector is redrawn on every decision: on a long run it lists the open claim's neighbours,
    not every claim (500 options were ~17 KB sent and rendered per decision); Next still walks the whole list."""
    from tests.report.factory import synthetic_run
    from verify.store import Store

    store = Store(tmp_path / "verify.db")
    run_id = synthetic_run(store, n_claims=200, hostile=False, n_sources=10, k=2)
    ids = [c.id for c in sorted(store.get_claims(run_id), key=lambda c: c.index)]
    at = open_app(run_id)
    at.session_state["focus_claim"] = ids[80]
    at = checked(at.run())
    selector = at.selectbox(key="claim_select")
    assert selector.value == ids[80] and len(selector.options) == 81 and selector.options[40].startswith("#81 ")
    assert selector.label.startswith("Claim (") and selector.label.endswith(" of 200)")
    checked(at.button(key="next_claim").click().run())
    checked(at.button(key="next_claim").click().run())
    assert focus(at) == ids[82]
    at.session_state["focus_claim"] = ids[-1]
    at = checked(at.run())
    assert at.selectbox(key="claim_select").options[-1].startswith("#200 ")
    checked(at.button(key="next_claim").click().run())
    assert focus(at) == ids[0]  # wraps around the whole list, not the listed window
