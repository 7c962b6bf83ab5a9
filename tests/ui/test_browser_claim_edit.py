"""Issue 11 acceptance, in a real headless Chromium: a claim the extractor missed (the seed article's
opening sentence) is added from the article and judged. The model is a scripted OpenAI-compatible
server started here; `verify ui` re-judges through `verify rejudge` with the hash embedder."""

from __future__ import annotations

import pytest

from tests.fakes import judge_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer
from tests.ui.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, need_chromium, open_run, settle, verify_ui
from verify import claim_edits

pytestmark = pytest.mark.browser

OPENING = "Le président américain Donald Trump a exhorté vendredi le président russe Vladimir Poutine"


@pytest.fixture
def ui_with_model(seeded_run, tmp_path, monkeypatch):
    """A scripted judge server and `verify ui` on the seeded store, with that server as its model."""
    need_chromium()
    with OpenAICompatibleServer(lambda request: Behaviour(judge_reply("SUPPORTED", ["S1"]))) as model:
        monkeypatch.setenv("VERIFY_MODEL", "judge-2026")
        monkeypatch.setenv("VERIFY_BASE_URL", model.base_url)
        monkeypatch.setenv("VERIFY_EMBEDDER", "hash")
        with verify_ui(seeded_run.store.path, tmp_path / "ui.log") as url:
            yield url, seeded_run, model


def test_a_claim_added_from_the_article_is_judged(ui_with_model):
    from playwright.sync_api import expect, sync_playwright

    url, seeded, model = ui_with_model
    store, run_id = seeded.store, seeded.run.id
    number = len(seeded.claims) + 1
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = open_run(browser, url, run_id, "Browser Alice")
        page.get_by_text("Add a claim from the article").click()
        expect(page.get_by_role("button", name="Add claim")).to_be_enabled()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "claim-add-picker.png"))
        page.get_by_role("button", name="Add claim").click()  # the opening sentence, no claim covers it
        expect(page.get_by_text(f"Added claim #{number} from the article")).to_be_visible()
        expect(page.get_by_text(f"Claim #{number}", exact=True)).to_be_visible()  # the new claim is open
        settle(page)
        page.get_by_text(f"Edit claim #{number}").click()
        page.get_by_role("button", name="Judge this claim").click()
        expect(page.get_by_text(f"Claim #{number} re-judged by judge-2026", exact=False)).to_be_visible(timeout=120_000)
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "claim-added-and-judged.png"), full_page=True)
        browser.close()

    added = store.get_claims(run_id)[-1]
    assert added.index + 1 == number and added.quote.startswith(OPENING)
    assert seeded.article.text[added.span.start:added.span.end] == added.quote
    assert store.get_verdicts(run_id)[added.id].label.value == "SUPPORTED"
    assert store.get_evidence(added.id)
    events = claim_edits.events_of(store, run_id)
    assert [(e.claim_id, e.action, e.actor) for e in events] == [(added.id, "add", "Browser Alice"),
                                                                 (added.id, "rejudge", "Browser Alice")]
    assert any(OPENING in str(r["messages"]) for r in model.requests)  # the model judged that very claim
