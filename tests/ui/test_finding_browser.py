"""Finding claims and runs in a real headless Chromium (Debian `chromium`, driven by Playwright): a click
on a runs-table cell opens the run, a click on a row of the All claims list opens that claim, the search
is kept in the URL across a reload, and Streamlit's Deploy button and menu are not shown."""

from __future__ import annotations

import pytest

from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, new_page, server, settle  # noqa: F401 (server: fixture)

pytestmark = pytest.mark.browser


def grid_click(page, row: int, x: int) -> None:
    """Click inside the first table's body: `row` 0-based below the header row, `x` px from its left edge
    (the table is a canvas: its cells are not DOM elements)."""
    page.wait_for_selector('[data-testid="stDataFrame"]')
    settle(page)
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + 35 * (row + 1) + 17)
    settle(page)


def test_table_rows_open_runs_and_claims_and_the_search_survives_a_reload(server):
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    run_id, third = seeded.run.id, seeded.claims[2].id
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = new_page(browser)
        page.goto(url)
        grid_click(page, 0, 150)  # the article title cell of the only run
        assert f"run={run_id}" in page.url
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        chrome = page.locator('[data-testid="stMainMenu"], [data-testid="stAppDeployButton"]').count()

        page.goto(f"{url}/?run={run_id}&view=All+claims&q=declare")  # finds claims #2 and #3
        expect(page.get_by_text("All claims (2 shown of 4)")).to_be_visible()
        grid_click(page, 1, 200)  # claim #3's text cell
        expect(page.get_by_text("Claim #3", exact=True)).to_be_visible()
        assert f"claim={third}" in page.url and "q=declare" in page.url

        page.reload()
        expect(page.get_by_text("Claim #3", exact=True)).to_be_visible()
        settle(page)
        expect(page.get_by_role("textbox", name="Search claims")).to_have_value("declare")
        expect(page.get_by_text("Claim (2 shown of 4)")).to_be_visible()
        browser.close()
    assert overflow == 0 and chrome == 0
