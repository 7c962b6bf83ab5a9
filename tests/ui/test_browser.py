"""The dashboard in a real headless Chromium (Debian `chromium` package, driven by Playwright).

Starts `verify ui` on 127.0.0.1 against a seeded store, approves one claim and rejects another with a
corrected label by clicking, checks the decisions landed in the store, checks markup in a source
stays text, and saves a screenshot to tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ui.conftest import hostile_run
from verify.review import decide as write_decision
from verify.review import decisions, events_for

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("VERIFY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"verify ui exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the dashboard did not answer at {url} within {timeout_s}s")


VERIFY = [shutil.which("verify")] if shutil.which("verify") else [sys.executable, "-m", "verify.cli"]


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@contextmanager
def verify_ui(db: Path, log: Path, *args: str, env: dict | None = None):
    """`verify ui` on the store at `db` on a free port, logging to `log`: yields its base URL once healthy;
    stopped (by pid) at the end."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(VERIFY + ["ui", "--db", str(db), "--port", str(port), *args],
                                stdout=out, stderr=subprocess.STDOUT, env=env if env is not None else dict(os.environ))
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def server(seeded_run, tmp_path):
    """`verify ui` serving the seeded store; stopped (by pid) at the end."""
    need_chromium()
    with verify_ui(seeded_run.store.path, tmp_path / "ui.log") as url:
        yield url, seeded_run


def settle(page) -> None:
    """Wait for the script run to finish (Streamlit keeps stale elements on screen while it reruns)."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.wait_for_timeout(300)


def new_page(browser, width: int = 1440, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(30_000)
    return page


def type_reviewer(page, name: str) -> None:
    reviewer = page.get_by_role("textbox", name="Reviewer")
    reviewer.fill(name)
    reviewer.press("Enter")


def open_run(browser, url: str, run_id: str, reviewer: str):
    """A page on the run, its first claim shown, with a reviewer name typed in."""
    from playwright.sync_api import expect

    page = new_page(browser)
    page.goto(f"{url}/?run={run_id}")
    expect(page.get_by_text("Claim #1", exact=True)).to_be_visible()
    settle(page)
    type_reviewer(page, reviewer)
    settle(page)
    return page


def test_review_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    store, run_id = seeded.store, seeded.run.id
    first, second = seeded.claims[0].id, seeded.claims[1].id
    dialogs: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = new_page(browser, 1500, 1500)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        page.get_by_role("button", name="Open run").click()
        expect(page.get_by_text("Claim #1", exact=True)).to_be_visible()
        settle(page)
        type_reviewer(page, "Browser Alice")
        submit = page.get_by_role("button", name="Submit decision")
        expect(submit).to_be_disabled()  # nothing is preselected
        page.get_by_role("radiogroup", name="Decision").get_by_text("Approve", exact=True).click()
        expect(submit).to_be_enabled()
        settle(page)
        submit.click()
        expect(page.get_by_text("Recorded: approve")).to_be_visible()
        expect(page.get_by_text("Claim #2", exact=True)).to_be_visible()  # next unreviewed claim opened
        settle(page)
        page.get_by_role("radiogroup", name="Decision").get_by_text("Reject", exact=True).click()
        settle(page)
        # the machine said REFUTED: the two other labels are offered
        page.get_by_role("radiogroup", name="Corrected label").get_by_text("SUPPORTED", exact=False).click()
        page.get_by_role("textbox", name="Note (optional)").fill("Kyiv denied it")
        page.get_by_role("textbox", name="Note (optional)").press("Tab")  # commit the text before submitting
        settle(page)
        page.get_by_role("button", name="Submit decision").click()
        expect(page.get_by_text("Recorded: reject")).to_be_visible()
        expect(page.get_by_text("Claim #3", exact=True)).to_be_visible()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
        with page.expect_download() as download:
            page.get_by_role("button", name="Download md report").click()
        report = Path(download.value.path()).read_text(encoding="utf-8")
        focused_in_view = page.evaluate("""() => {
            const el = document.querySelector('.vf-article .vf-focus'), box = el.closest('[data-testid]');
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight && el.textContent.includes('#3');
        }""")

        hostile, _ = hostile_run(store)  # a second run whose texts carry <script> and <img onerror>
        page.goto(f"{url}/?run={hostile.id}")
        expect(page.get_by_text("Claim #1", exact=True)).to_be_visible()
        expect(page.locator(".vf-article")).to_contain_text("<script>alert('x')</script>")
        expect(page.locator(".vf-passage").first).to_contain_text("<img src=x onerror=alert(1)>")
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "dashboard-escaping.png"))
        injected = page.evaluate("document.querySelectorAll('.vf-article script, .vf-passage img').length")
        browser.close()

    decided = decisions(store, run_id)
    assert (decided[first].state, decided[first].reviewer) == ("approved", "Browser Alice")
    assert (decided[second].state, decided[second].label, decided[second].note) == ("rejected", "SUPPORTED",
                                                                                      "Kyiv denied it")
    assert dialogs == [] and injected == 0
    assert focused_in_view  # the article scrolled to the claim that opened
    assert seeded.claims[0].text in report and seeded.claims[1].text in report


def open_as(browser, url: str, run_id: str, name: str):
    """A separate browser context (its own Streamlit session) on the run page, with a reviewer name."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1500, "height": 1500}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/?run={run_id}")
    expect(page.get_by_role("button", name="Submit decision")).to_be_visible()
    settle(page)
    type_reviewer(page, name)
    expect(page.get_by_role("button", name="Submit decision")).to_be_visible()
    settle(page)
    return page


def test_a_decision_never_lands_on_a_claim_the_reviewer_did_not_open(server):
    """Issue 10: A decides the claim B has open; B rejects it with a label and a note and submits.
    B's decision is written on B's claim (after the conflict panel) and on no other claim."""
    from playwright.sync_api import expect, sync_playwright

    url, seeded = server
    store, run_id = seeded.store, seeded.run.id
    first, second = seeded.claims[0].id, seeded.claims[1].id
    # A third reviewer already rejected claim #1, so both pages open claim #2 (the first unreviewed one).
    write_decision(store, run_id=run_id, claim_id=first, reviewer="Chloé", action="reject",
                   machine_verdict=seeded.verdicts[first], corrected_label="REFUTED")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        alice, bob = open_as(browser, url, run_id, "Alice"), open_as(browser, url, run_id, "Bob")
        for page in (alice, bob):
            expect(page.get_by_text("Claim #2", exact=True)).to_be_visible()

        alice.get_by_role("radiogroup", name="Decision").get_by_text("Approve", exact=True).click()
        settle(alice)
        alice.get_by_role("button", name="Submit decision").click()  # A approves claim #2
        expect(alice.get_by_text("Recorded: approve")).to_be_visible()

        bob.get_by_role("radiogroup", name="Decision").get_by_text("Reject", exact=True).click()
        settle(bob)
        # machine said REFUTED: SUPPORTED is offered
        bob.get_by_role("radiogroup", name="Corrected label").get_by_text("SUPPORTED", exact=False).click()
        settle(bob)
        note = bob.get_by_role("textbox", name="Note (optional)")
        note.fill("Kyiv denied it")
        note.press("Tab")  # commit the text: the third interaction
        settle(bob)
        bob.screenshot(path=str(ARTIFACTS / "two-reviewers-before-submit.png"))
        bob.get_by_role("button", name="Submit decision").click()
        settle(bob)
        bob.screenshot(path=str(ARTIFACTS / "two-reviewers-after-submit.png"))
        bobs = [(e.claim_id, e.action) for e in events_for(store, run_id=run_id) if e.reviewer == "Bob"]
        assert all(claim_id == second for claim_id, _ in bobs), f"Bob's decision landed on another claim: {bobs}"
        if not bobs:  # the conflict panel: Bob sees Alice's decision and confirms his own
            expect(bob.get_by_text("Changed by someone else")).to_be_visible()
            expect(bob.get_by_text("Alice", exact=False).first).to_be_visible()
            bob.get_by_role("button", name="Override with my decision").click()
            expect(bob.get_by_text("Recorded: reject")).to_be_visible()
        browser.close()

    events = events_for(store, run_id=run_id)
    by_claim = {cid: [(e.reviewer, e.action, e.label_after, e.note) for e in events if e.claim_id == cid]
                for cid in {e.claim_id for e in events}}
    assert by_claim == {first: [("Chloé", "reject", "REFUTED", "")],
                        second: [("Alice", "approve", "REFUTED", ""), ("Bob", "reject", "SUPPORTED", "Kyiv denied it")]}
    assert decisions(store, run_id)[first].state == "rejected"  # the third reviewer's rejection still stands
