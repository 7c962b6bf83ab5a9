"""Keyboard-only review in a real headless Chromium (issue 11, "Safe, fast deciding"): three claims
decided with keys alone (approve, reject with a corrected label, needs more evidence), checked in the
store; Ctrl+Enter with nothing chosen records nothing; choosing a decision or a label by key reruns
only the form's fragment (every update the server sends then comes from a fragment)."""

from __future__ import annotations

import pytest

from tests.ui.test_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, new_page, server,  # noqa: F401 (fixture)
                                   settle, type_reviewer)
from verify.review import decisions, events_for

pytestmark = pytest.mark.browser


def watch_updates(page, seen: list[str]) -> None:
    """Record the fragment id of every element update the server sends ("" = a full page run)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg.FromString(payload)
            if msg.WhichOneof("type") == "delta":
                seen.append(msg.delta.fragment_id)

    page.on("websocket", lambda socket: socket.on("framereceived", frame))


def open_claim(page, number: int) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text(f"Decision for claim #{number}", exact=False)).to_be_visible()
    settle(page)


def open_first_claim_as(browser, url: str, run_id: str, reviewer: str):
    """A page on the run's claim #1 with the reviewer's name typed in, its script updates watched."""
    page = new_page(browser)
    updates: list[str] = []
    watch_updates(page, updates)
    page.goto(f"{url}/?run={run_id}")
    open_claim(page, 1)
    type_reviewer(page, reviewer)
    settle(page)
    return page, updates


def submit_by_keys(page, store, run_id: str) -> None:
    """Ctrl+Enter acts only on a Submit button that is on screen: a first press on a form below the
    fold scrolls it into view and records nothing; the next press submits."""
    from playwright.sync_api import expect

    submit = page.get_by_role("button", name="Submit decision")
    if not submit.evaluate("b => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"):
        before = len(events_for(store, run_id=run_id))
        page.keyboard.press("Control+Enter")
        expect(submit).to_be_in_viewport()
        settle(page)
        assert len(events_for(store, run_id=run_id)) == before
    page.keyboard.press("Control+Enter")


def test_keyboard_only_review_of_three_claims(server):
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    store, run_id = seeded.store, seeded.run.id
    ids = [c.id for c in seeded.claims[:3]]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page, updates = open_first_claim_as(browser, url, run_id, "Keys Kim")
        page.evaluate("document.activeElement && document.activeElement.blur()")  # nothing focused
        page.keyboard.press("Control+Enter")  # nothing chosen yet: must record nothing
        settle(page)
        assert events_for(store, run_id=run_id) == []
        submit = page.get_by_role("button", name="Submit decision")
        expect(submit).to_be_disabled()

        page.keyboard.press("?")  # the help overlay lists the keys
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("Needs more evidence")
        page.screenshot(path=str(ARTIFACTS / "keys-help.png"))
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_have_count(0)

        updates.clear()
        page.keyboard.press("a")  # claim #1: approve
        settle(page)
        choosing = list(updates)
        expect(submit).to_be_enabled()
        submit_by_keys(page, store, run_id)
        expect(page.get_by_text("Recorded: approve")).to_be_visible()
        open_claim(page, 2)
        expect(page.get_by_text("Recorded: approve")).to_be_in_viewport()

        page.keyboard.press("2")  # claim #2 (machine said REFUTED): 2 = Refuted is not offered
        page.keyboard.press("1")  # reject, corrected label Supported
        settle(page)
        note = page.get_by_role("textbox", name="Note (optional)")
        note.focus()
        page.keyboard.type("Kyiv denied it")  # typing a, e, x in the note must not act
        page.keyboard.press("Control+Enter")  # submits from the note field, note included
        expect(page.get_by_text("Recorded: reject")).to_be_visible()
        open_claim(page, 3)

        updates.clear()
        page.keyboard.press("e")  # claim #3: needs more evidence
        settle(page)
        choosing += updates
        submit_by_keys(page, store, run_id)
        expect(page.get_by_text("Recorded: needs evidence")).to_be_visible()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "keys-after-three.png"))
        browser.close()

    decided = decisions(store, run_id)
    assert (decided[ids[0]].state, decided[ids[0]].reviewer) == ("approved", "Keys Kim")
    assert (decided[ids[1]].state, decided[ids[1]].label, decided[ids[1]].note) == ("rejected", "SUPPORTED",
                                                                                    "Kyiv denied it")
    assert decided[ids[2]].state == "needs_evidence"
    assert [(e.claim_id, e.action) for e in events_for(store, run_id=run_id)] == [
        (ids[0], "approve"), (ids[1], "reject"), (ids[2], "needs_evidence")]
    assert choosing and all(choosing), "choosing a decision reran the whole page"  # the form's fragment only


def sidebar_count(page, words: str) -> int:
    """A facet count as the sidebar shows it ("not reviewed 4")."""
    import re

    text = page.locator("[data-testid='stSidebar']").inner_text()
    return int(re.search(re.escape(words) + r" (\d+)", text).group(1))


def test_a_decision_reruns_the_review_pane_only_and_the_page_follows(server):
    """Decide + next reruns the review pane and the sidebar's count fragments, never the whole page (a page
    rerun re-sent the article, the filters and the claim list: bench/ui_browser.py); the article's mark of
    the decided claim is recoloured in place, the counts and the URL follow, the next claim is focused."""
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    store, run_id = seeded.store, seeded.run.id
    first, second = seeded.claims[0].id, seeded.claims[1].id
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page, updates = open_first_claim_as(browser, url, run_id, "Pane Pat")
        mark = page.locator('.vf-article mark[title^="claim #1:"]')
        expect(mark).to_have_attribute("title", "claim #1: not reviewed")
        unreviewed, approved = sidebar_count(page, "not reviewed"), sidebar_count(page, "approved")

        page.locator("[data-testid='stRadio']:has-text('Decision') label:has-text('Approve')").click()
        settle(page)
        updates.clear()
        page.get_by_role("button", name="Submit decision").click()
        open_claim(page, 2)
        assert events_for(store, run_id=run_id)[-1].claim_id == first
        assert updates and all(updates), "a decision reran the whole page"  # fragment updates only
        expect(mark).to_have_attribute("title", "claim #1: approved")  # recoloured in place
        expect(mark.locator(".vf-badge")).to_have_text("#1 ✓ SUPPORTED ✔")
        assert (sidebar_count(page, "not reviewed"), sidebar_count(page, "approved")) == (unreviewed - 1,
                                                                                          approved + 1)
        assert f"claim={second}" in page.url and f"run={run_id}" in page.url
        focused = page.locator(".vf-article mark.vf-focus")
        expect(focused).to_have_count(1)
        expect(focused).to_have_attribute("title", "claim #2: not reviewed")
        browser.close()
