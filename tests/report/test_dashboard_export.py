"""The dashboard's report export (ui/export.py) and the model signals on the claim card, driven with
AppTest against a real store: the export offers the CLI's options, and a confidence is never shown as
more than it is."""

from __future__ import annotations

import json

from tests.ui.conftest import checked, downloaded, downloads, open_app, visible  # noqa: F401 (fixture)
from verify.review import decide


def _reject_first_approve_second(seeded_run) -> None:
    store, run_id = seeded_run.store, seeded_run.run.id
    claims, verdicts = store.get_claims(run_id), store.get_verdicts(run_id)
    decide(store, run_id=run_id, claim_id=claims[0].id, reviewer="Bob", action="reject",
           machine_verdict=verdicts[claims[0].id], corrected_label="NOT_ENOUGH_INFO", note="wrong day")
    decide(store, run_id=run_id, claim_id=claims[1].id, reviewer="Bob", action="approve",
           machine_verdict=verdicts[claims[1].id])


def test_export_offers_the_clis_report_options(seeded_run, downloads):  # noqa: F811 (fixture)
    _reject_first_approve_second(seeded_run)
    total = len(seeded_run.store.get_claims(seeded_run.run.id))
    at = open_app(seeded_run.run.id)
    report = downloaded(at, downloads).decode()
    assert "**Machine verdict:** machine said " in report  # md, every claim, the rejected verdict included
    checked(at.checkbox(key="export_exclude_rejected").check().run())  # --exclude-rejected
    report = downloaded(at, downloads).decode()
    assert "rejected by the reviewer (omitted from this report)" in report and "machine said" not in report
    checked(at.radio(key="export_which").set_value("Only approved").run())  # --only-approved
    assert f"| Claims shown | 1 of {total} (only approved, rejected machine verdicts omitted) |" in \
        downloaded(at, downloads).decode()
    checked(at.radio(key="export_which").set_value("Only reviewed").run())  # --only-reviewed
    assert f"| Claims shown | 2 of {total} (only reviewed," in downloaded(at, downloads).decode()

    checked(at.selectbox(key="export_format").set_value("csv").run())
    assert downloaded(at, downloads).startswith(b"\xef\xbb\xbfclaim_number,")  # a BOM unless unticked
    checked(at.checkbox(key="export_bom").uncheck().run())  # --no-bom
    assert downloaded(at, downloads).startswith(b"claim_number,")

    checked(at.selectbox(key="export_format").set_value("claimreview").run())
    at.text_input(key="export_organization").input("Example Fact Check")
    checked(at.text_input(key="export_publish_url").input("https://factcheck.example/kursk").run())
    items = json.loads(downloaded(at, downloads))
    assert {i["author"]["name"] for i in items} == {"Example Fact Check"}
    assert {i["url"].split("#")[0] for i in items} == {"https://factcheck.example/kursk"}

    checked(at.text_input(key="export_publish_url").input("javascript:alert(1)").run())
    assert [e.value for e in at.error] == ["error: the publish URL must start with http:// or https://; fix it to "
                                           "download."]
    assert not at.get("download_button")


def test_claim_card_labels_a_self_reported_confidence_and_flags_an_echoing_rationale(seeded_run):
    """The scripted chat model states its own confidence (0.80): shown as its own estimate, not as a
    measured probability; a rationale that only copies the claim is flagged on the card."""
    store, run_id = seeded_run.store, seeded_run.run.id
    claim = store.get_claims(run_id)[0]
    verdict = store.get_verdicts(run_id)[claim.id]
    echo = verdict.model_copy(update={"rationale": claim.text[:45], "id": verdict.id})
    store.save_judgement(claim, store.get_evidence(claim.id), echo)
    at = open_app(run_id)
    assert "confidence 0.80 (model's own estimate)" in visible(at)
    assert [w.value for w in at.warning if "rationale repeats" in w.value] == [
        "The rationale repeats the claim: it explains nothing; judge from the citations."]
