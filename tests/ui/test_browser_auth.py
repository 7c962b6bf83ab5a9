"""Team login in a real headless Chromium: `verify ui` on a network address with a users file, a wrong
password refused, a login, the decision recorded under the login, the signed cookie keeping the login
across a reload, and a logout."""

from __future__ import annotations

import os

import pytest

from tests.ui.test_auth import PASSWORDS, users_file
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, need_chromium, new_page, settle, verify_ui
from verify.review import events_for

pytestmark = pytest.mark.browser


@pytest.fixture
def team_server(seeded_run, tmp_path):
    need_chromium()
    env = dict(os.environ, VERIFY_AUTH_CONFIG=users_file(tmp_path / "users.yaml"))
    # 0.0.0.0: allowed because a users file is set (without it `verify ui` refuses, tests/ui/test_auth.py)
    with verify_ui(seeded_run.store.path, tmp_path / "ui.log", "--address", "0.0.0.0", env=env) as url:
        yield f"{url}/?run={seeded_run.run.id}", seeded_run


def log_in(page, username: str, password: str) -> None:
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    settle(page)


def test_log_in_decide_reload_and_log_out_in_a_real_browser(team_server):
    from playwright.sync_api import expect, sync_playwright

    url, seeded = team_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = new_page(browser, 1500, 1200)
        expect.set_options(timeout=20_000)  # the first script run imports the page modules on 2 shared cores
        page.goto(url)
        expect(page.get_by_text("Log in to review")).to_be_visible()
        expect(page.get_by_role("textbox", name="Reviewer")).to_have_count(0)
        log_in(page, "alice", "not her password")
        expect(page.get_by_text("Wrong username or password.")).to_be_visible()
        log_in(page, "alice", PASSWORDS["alice"])
        expect(page.get_by_text("Signed in as")).to_be_visible()
        expect(page.get_by_text("Claim #1", exact=True)).to_be_visible()
        page.get_by_role("radiogroup", name="Decision").get_by_text("Approve", exact=True).click()
        settle(page)
        page.get_by_role("button", name="Submit decision").click()
        expect(page.get_by_text("Recorded: approve")).to_be_visible()
        assert [e.reviewer for e in events_for(seeded.store, run_id=seeded.run.id)] == ["alice"]

        page.reload()  # the signed cookie logs her in again: no form
        expect(page.get_by_text("Signed in as")).to_be_visible()
        settle(page)
        expect(page.get_by_text("Log in to review")).to_have_count(0)
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("Log in to review")).to_be_visible()
        expect(page.get_by_text("Signed in as")).to_have_count(0)
        settle(page)
        page.reload()  # the cookie is gone too
        expect(page.get_by_text("Log in to review")).to_be_visible()
        settle(page)
        expect(page.get_by_text("Signed in as")).to_have_count(0)
        browser.close()
