"""Assignment and blind second review in a real headless Chromium (issue 14 acceptance): an editor assigns
the run to alice with bob as blind second reviewer; alice approves two claims; bob, whose page never shows
alice's decisions, rejects one and approves the other; the disagreement reaches the editor's queue; the
editor's final decision is recorded as such; the store and the agreement figure on the page are checked."""

from __future__ import annotations

import os

import pytest

from tests.ui.test_auth import PASSWORDS, users_file
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, need_chromium, settle, verify_ui
from tests.ui.test_browser_auth import log_in
from tests.ui.test_browser_evidence import open_dropdown
from verify import team
from verify.review import decisions, events_for

pytestmark = pytest.mark.browser


@pytest.fixture
def team_server(seeded_run, tmp_path, monkeypatch):
    need_chromium()
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(tmp_path / "users.yaml"))  # the server's, and this test's
    with verify_ui(seeded_run.store.path, tmp_path / "ui.log", env=dict(os.environ)) as url:
        yield url, seeded_run


def session(browser, url: str, who: str):
    """A browser session of its own (its own login cookie), signed in as `who`, on the runs page."""
    page = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    log_in(page, who, PASSWORDS[who])
    return page


def choose(page, label: str, option: str) -> None:
    open_dropdown(page, page.get_by_label(label, exact=True))
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def decide_first(page, expect, number: int) -> None:
    page.get_by_role("radiogroup", name="Decision").get_by_text("Approve", exact=True).click()
    settle(page)
    page.get_by_role("button", name="Submit decision").click()
    expect(page.get_by_text("Recorded: approve")).to_be_visible()
    expect(page.get_by_text(f"on claim #{number} by alice")).to_be_visible()
    settle(page)


def decide_blind(page, expect, number: int, action: str, label: str | None = None) -> None:
    expect(page.get_by_text(f"Blind second review of claim #{number}")).to_be_visible()
    page.get_by_role("radiogroup", name="Your decision").get_by_text(action, exact=True).click()
    settle(page)
    if label:
        page.get_by_role("radiogroup", name="Corrected label").get_by_text(label, exact=False).click()
        settle(page)
    page.get_by_role("button", name="Submit blind decision").click()
    expect(page.get_by_text("Recorded your blind decision")).to_be_visible()
    expect(page.get_by_text(f"on claim #{number}.")).to_be_visible()
    settle(page)


def test_assignment_blind_second_review_and_the_editors_final_decision_in_a_real_browser(team_server):
    from playwright.sync_api import expect, sync_playwright

    url, seeded = team_server
    store, run_id = seeded.store, seeded.run.id
    c1, c2, *_ = [c.id for c in seeded.claims]  # machine verdicts: SUPPORTED, REFUTED
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=20_000)  # the first script run imports the page modules on 2 shared cores

        # The editor assigns the run: alice first, bob blind second.
        erin = session(browser, f"{url}/?run={run_id}", "erin")
        erin.get_by_text("Assign reviewers").click()
        settle(erin)
        choose(erin, "Blind second reviewer (optional)", "bob")
        choose(erin, "Reviewer", "alice")
        erin.get_by_role("button", name="Assign", exact=True).click()
        settle(erin)
        expect(erin.get_by_text("alice: 4 claims · bob (blind second): 4 claims")).to_be_visible()
        assert [(e.reviewer, e.slot, e.action, e.actor) for e in store.assignment_events(run_id=run_id)] == \
            [("alice", "first", "assign", "erin"), ("bob", "second", "assign", "erin")]

        # alice works from her queue: approves claims #1 and #2.
        alice = session(browser, url, "alice")
        expect(alice.get_by_text("My queue")).to_be_visible()
        alice.get_by_role("button", name="#1 · to review").click()
        settle(alice)
        decide_first(alice, expect, 1)
        decide_first(alice, expect, 2)  # the form moved on to the next unreviewed claim
        assert [(e.claim_id, e.reviewer, e.action) for e in events_for(store, run_id=run_id)] == \
            [(c1, "alice", "approve"), (c2, "alice", "approve")]

        # bob reviews blind: nothing of alice's decisions reaches his page.
        bob = session(browser, url, "bob")
        expect(bob.get_by_text("blind second review 4")).to_be_visible()
        bob.get_by_role("button", name="#1 · blind second review").click()
        settle(bob)
        expect(bob.get_by_text("Blind second review of claim #1")).to_be_visible()
        for view in ("All claims", "Activity", "Review"):
            bob.locator("[data-testid='stButtonGroup']").get_by_text(view, exact=True).click()  # the view switch
            settle(bob)
            body = bob.content()
            assert "alice" not in body.lower(), f"alice's decision leaks into bob's {view} view"
        expect(bob.get_by_text("Reviewed 0 / 4")).to_be_visible()  # the progress counts his own decisions only
        expect(bob.get_by_role("button", name="Submit decision")).to_have_count(0)
        decide_blind(bob, expect, 1, "Reject", "REFUTED")  # machine SUPPORTED, alice approved: a disagreement
        decide_blind(bob, expect, 2, "Approve")  # machine REFUTED, alice approved: agreement
        assert "alice" not in bob.content().lower()
        assert [(t.claim_id, t.reviewer, t.kind, t.label) for t in store.team_decisions(run_id=run_id)] == \
            [(c1, "bob", "second", "REFUTED"), (c2, "bob", "second", "REFUTED")]

        # The disagreement waits in the editor's queue; the run page shows the agreement as computed.
        expected = team.agreement(store, run_id).overall
        assert (expected.n, expected.agreed, expected.kappa) == (2, 1, 0.0)  # po 1/2, pe 1/2
        erin.goto(url)
        log_in_again_if_asked(erin)
        expect(erin.get_by_text("disagreement to resolve 1")).to_be_visible()
        erin.get_by_role("button", name="#1 · disagreement to resolve").click()
        settle(erin)
        expect(erin.get_by_text("kappa 0.00 · raw agreement 50% (1 of 2 claims) · 1 disagreement waiting for an "
                                "editor")).to_be_visible()
        expect(erin.get_by_text("Disagreement on claim #1")).to_be_visible()
        erin.get_by_role("radiogroup", name="Final label").get_by_text("REFUTED", exact=False).click()
        settle(erin)
        erin.get_by_role("button", name="Record final decision").click()
        expect(erin.get_by_text("Final decision: ✗ REFUTED on claim #1 by erin (editor).")).to_be_visible()
        settle(erin)
        browser.close()

    final = [t for t in store.team_decisions(run_id=run_id) if t.kind == "final"]
    assert [(t.claim_id, t.reviewer, t.role, t.action, t.label) for t in final] == \
        [(c1, "erin", "editor", "reject", "REFUTED")]
    last = events_for(store, claim_id=c1)[-1]
    assert (last.id, last.reviewer, last.label_after) == (final[0].review_event_id, "erin", "REFUTED")
    assert last.note.startswith("final decision on the disagreement between alice (SUPPORTED) and bob (REFUTED)")
    assert decisions(store, run_id)[c1].label == "REFUTED", "reports use the final decision"
    assert team.disagreements(store) == []


def log_in_again_if_asked(page) -> None:
    """The signed cookie normally keeps the editor logged in across a reload."""
    settle(page)
    if page.get_by_role("button", name="Log in").count():
        log_in(page, "erin", PASSWORDS["erin"])
