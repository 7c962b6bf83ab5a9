"""The HTML report in a real headless Chromium: renders offline, prints to PDF, runs no script.

Artifacts (screenshots, PDF) go to tests/artifacts/ for a person to look at; the folder is gitignored.
"""

from __future__ import annotations

import io
import re
import subprocess

import pytest

from tests.report.conftest import ARTIFACTS
from verify.report import render

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_report(browser, html: bytes, name: str):
    """Load the report from a file:// URL, recording every request and any dialog a script would open."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.html"
    path.write_bytes(html)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    seen = {"requests": [], "dialogs": [], "errors": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # give a (wrongly) injected onerror handler time to fire
    return page, path, seen


def test_seed_report_renders_offline_and_prints(browser, seed_report):
    page, path, seen = open_report(browser, render(seed_report, "html"), "report-seed")
    assert seen["requests"] == [path.as_uri()]
    assert page.locator("article.claim").count() == 4
    assert page.locator("#source-1").count() == 1
    page.screenshot(path=str(ARTIFACTS / "report-seed.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "report-seed.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 3  # claims share pages (printed one per page before)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "report-seed-print.png"), full_page=True)
    assert seen["requests"] == [path.as_uri()]
    page.close()


def test_hostile_report_runs_no_script_and_fetches_nothing(browser, hostile_report):
    page, path, seen = open_report(browser, render(hostile_report, "html"), "report-hostile")
    page.screenshot(path=str(ARTIFACTS / "report-hostile.png"), full_page=True)
    assert seen["requests"] == [path.as_uri()]
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    assert 'alert("xss")' in page.locator("body").inner_text()  # shown as text, not run
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs), hrefs
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.close()


def test_printed_report_puts_several_claims_per_page_with_page_numbers_and_the_run(hostile_report, tmp_path):
    """Chromium's own print path (`--print-to-pdf`, what File > Print does): 12 claims took 14 pages, one
    claim per page and no page numbers; now claims share pages, and every page names the run and says
    'Page i of n' (CSS @page margin boxes, which replace Chromium's date/URL header and footer)."""
    from pypdf import PdfReader

    html = tmp_path / "report.html"
    html.write_bytes(render(hostile_report, "html"))
    pdf = tmp_path / "report.pdf"
    subprocess.run([CHROMIUM, "--headless", *ARGS, f"--print-to-pdf={pdf}", html.as_uri()], check=True,
                   capture_output=True, timeout=120)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-hostile-print.pdf").write_bytes(pdf.read_bytes())
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    assert len(hostile_report.claims) == 12 and len(pages) <= 8, len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert f"verify report · run {hostile_report.header.run_id} · Synthetic article" in text
    heading = re.compile(r"Claim (\d+)(?!\d| in )")  # "Claim 7" headings, not "Claim 6 in the article" text
    claims_per_page = [len(heading.findall(text)) for text in pages]
    assert sum(claims_per_page) == 12 and max(claims_per_page) >= 3, claims_per_page
