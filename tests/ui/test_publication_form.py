"""The dashboard's publication details (ui/publication_form.py) and the publishable ClaimReview export
(ui/export.py), driven with AppTest against a real store."""

from __future__ import annotations

import json

from tests.ui.conftest import checked, downloaded, downloads, focus, open_app, open_section  # noqa: F401 (fixture)
from verify.publication import publication_details
from verify.review import decide


def test_publication_details_are_saved_and_unblock_the_publishable_export(seeded_run, downloads):  # noqa: F811
    store, run_id = seeded_run.store, seeded_run.run.id
    claims, verdicts = store.get_claims(run_id), store.get_verdicts(run_id)
    at = open_app(run_id)
    cid = focus(at)  # the claim the page opened: the reviewer approves it
    decide(store, run_id=run_id, claim_id=cid, reviewer="Bob", action="approve", machine_verdict=verdicts[cid])
    number = next(c.index + 1 for c in claims if c.id == cid)

    checked(at.selectbox(key="export_format").set_value("claimreview").run())
    at.text_input(key="export_organization").input("Example Fact Check")
    at.text_input(key="export_publish_url").input("https://factcheck.example/kursk")
    checked(at.checkbox(key="export_publish").check().run())
    said = " ".join(e.value for e in at.error).replace("\\", "")  # shown as escaped Markdown
    assert "not publishable yet" in said and f"#{number}: claimant (itemReviewed.author)" in said, said
    assert not at.get("download_button")

    at = open_section(at, f"pub_open_{cid}")  # the form is drawn once opened
    at.text_input(key=f"pub_claimant_{cid}").input("Donald Trump")
    at.text_input(key=f"pub_date_{cid}").input("2025-03-13")
    at.text_input(key=f"pub_url_{cid}").input("https://www.lemonde.fr/article")
    checked(at.button(key=f"FormSubmitter:publication_{cid}-Save publication details").click().run())
    details = publication_details(store, run_id)[cid]
    assert (details.claimant, details.claim_date, details.appearance_url) == (
        "Donald Trump", "2025-03-13", "https://www.lemonde.fr/article")
    assert not at.error
    item, = json.loads(downloaded(at, downloads))
    assert item["itemReviewed"]["author"] == {"@type": "Person", "name": "Donald Trump"}
    assert item["url"] == f"https://factcheck.example/kursk#claim-{number}"


def test_a_bad_claim_date_is_refused_on_the_page_and_nothing_is_written(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    at = open_app(run_id)
    cid = focus(at)
    at = open_section(at, f"pub_open_{cid}")
    at.text_input(key=f"pub_date_{cid}").input("13 mars")
    checked(at.button(key=f"FormSubmitter:publication_{cid}-Save publication details").click().run())
    assert any("is not a date: write it as YYYY-MM-DD" in e.value.replace("\\", "") for e in at.error)
    assert publication_details(store, run_id) == {}
