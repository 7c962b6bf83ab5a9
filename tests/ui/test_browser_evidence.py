"""Real Chromium (issue 11): a reviewer opens a folded retrieved passage, cites one of its sentences as
refuting the claim, and `verify report RUN --format html` carries that reviewer citation."""

from __future__ import annotations

import html
import subprocess

import pytest

from tests.ui.test_browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VERIFY, open_run, server,  # noqa: F401 (fixture)
                                   settle)

pytestmark = pytest.mark.browser


def open_dropdown(page, select) -> None:
    """Open a selectbox's list; a click that lands while the page is still rerunning is tried again."""
    for _ in range(3):
        select.click()
        try:
            page.get_by_role("listbox").wait_for(state="visible", timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: settle and try once more
            page.keyboard.press("Escape")
            settle(page)
    raise AssertionError("the sentence selector did not open")


def test_a_reviewer_citation_from_a_folded_passage_reaches_the_html_report(server):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    store, run_id = seeded.store, seeded.run.id
    claim = seeded.claims[0]
    verdict = seeded.verdicts[claim.id]
    cited_chunks = {c.chunk_id for c in verdict.citations}
    folded = next(ev for ev in store.get_evidence(claim.id) if ev.chunk.id not in cited_chunks)
    sentence = folded.chunk.sentences[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_run(browser, url, run_id, "Browser Bea")
        passage = page.locator("[data-testid='stExpander']").filter(has_text=f"Passage {folded.rank} ·")
        body = passage.locator("[data-testid='stExpanderDetails']")
        expect(body).to_be_hidden()  # folded until the reviewer opens it
        passage.locator("summary").click()
        expect(body).to_be_visible()
        settle(page)
        open_dropdown(page, body.get_by_label("Sentence to cite").first)
        page.get_by_role("option", name=f"S{sentence.index + 1}:").first.click()
        settle(page)
        body.get_by_role("button", name="Refutes", exact=True).click()
        expect(page.get_by_text(f"Cited S{sentence.index + 1} as refutes")).to_be_visible()
        settle(page)
        expect(page.locator(".vf-sentence").filter(has_text="reviewer: refutes")).to_be_visible()
        page.locator(".vf-sentence").filter(has_text="reviewer: refutes").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "evidence-card-reviewer-citation.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        settle(page)
        page.locator(".vf-sentence").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "evidence-card-phone.png"))
        browser.close()

    [event] = store.review_citations(claim_id=claim.id)
    assert (event.reviewer, event.stance, event.text) == ("Browser Bea", "refutes", sentence.text)
    report = subprocess.run(VERIFY + ["report", run_id, "--format", "html", "--db", str(store.path)],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    reviewer_part = html.unescape(report[report.index("Reviewer citations"):])
    cited = reviewer_part[:reviewer_part.index("</li>")]  # the first reviewer citation of the first claim
    assert sentence.text in cited and '<span class="stance">refutes</span>' in cited
