"""The dashboard's publication form shows the details proposed at extraction (verify/proposals.py), prefilled
but not set: "Use proposal" records an ordinary claim event by the editor, and the publishable ClaimReview
export is refused until then."""

from __future__ import annotations

import json

from tests.conftest import SEED_SOURCES, make_pipeline
from tests.fakes import extraction_reply, judge_reply, scripted
from tests.test_proposals import PESKOV
from tests.ui.conftest import checked, downloaded, downloads, focus, open_app, open_section  # noqa: F401 (fixture)
from verify.claim_edits import events_of
from verify.review import decide

PAGE = "https://www.lemonde.fr/international/article/peskov"


def proposing_run(tmp_path):
    """A real one-claim run of an article whose front matter gives its date and address."""
    article = tmp_path / "peskov.md"
    article.write_text(f"---\ntitle: Peskov\ndate: 2025-03-14\nurl: {PAGE}\nlanguage: fr\n---\n{PESKOV}\n",
                       encoding="utf-8")
    chat = scripted(extraction_reply((PESKOV, "Peskov est prudemment optimiste.", "Peskov is optimistic.",
                                      "Dmitri Peskov", None)),
                    judge_reply("SUPPORTED", ["S1"]))
    pipeline = make_pipeline(chat)
    return pipeline.store, pipeline.run(str(article), [str(SEED_SOURCES)]).run.id


def export_settings(at):
    checked(at.selectbox(key="export_format").set_value("claimreview").run())
    at.text_input(key="export_organization").input("Example Fact Check")
    at.text_input(key="export_publish_url").input("https://factcheck.example/peskov")
    return checked(at.checkbox(key="export_publish").check().run())


def test_the_proposal_is_shown_prefilled_and_publishes_only_once_the_editor_uses_it(tmp_path, downloads):  # noqa: F811
    store, run_id = proposing_run(tmp_path)
    at = open_app(run_id)
    cid = focus(at)
    decide(store, run_id=run_id, claim_id=cid, reviewer="Bob", action="approve",
           machine_verdict=store.get_verdicts(run_id)[cid])
    at = export_settings(at)
    said = " ".join(e.value for e in at.error).replace("\\", "")
    assert "not publishable yet" in said and "#1: claimant (itemReviewed.author)" in said, said  # proposed is not set
    assert not at.get("download_button")

    at = open_section(at, f"pub_open_{cid}")
    shown = " ".join(i.value for i in at.info).replace("\\", "")
    assert "Proposed by the model fake-model and the article, not confirmed yet" in shown, shown
    assert "claimant: Dmitri Peskov (by the model fake-model)" in shown and "claim date: 2025-03-14 (by the article)" in shown
    assert at.text_input(key=f"pub_claimant_{cid}").value == "Dmitri Peskov"  # prefilled for the editor
    assert at.text_input(key=f"pub_url_{cid}").value == PAGE

    at = checked(at.button(key=f"pub_use_{cid}").click().run())
    event, = [e for e in events_of(store, run_id) if e.action == "publication"]
    assert event.actor == "Alice" and "confirmed the proposal by the model fake-model and the article" in event.note
    assert (event.after["claimant"], event.after["claim_date"], event.after["appearance_url"]) == (
        "Dmitri Peskov", "2025-03-14", PAGE)
    assert not at.error
    item, = json.loads(downloaded(at, downloads))
    assert item["itemReviewed"]["author"] == {"@type": "Person", "name": "Dmitri Peskov"}
    assert item["itemReviewed"]["datePublished"] == "2025-03-14"
