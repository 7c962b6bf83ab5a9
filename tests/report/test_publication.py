"""Publishing fact-checks (issue 14): a newsroom's rating scale, per-claim publication details (claimant,
claim date, appearance URL, rating name) set with `verify claim-meta`, and `verify report --format
claimreview --publish` refused, naming what each claim lacks, until every property is set."""

import json

from typer.testing import CliRunner

from tests.conftest import ROOT
from verify.cli import app
from verify.claim_edits import events_of

runner = CliRunner()
PAGE = "https://factcheck.example/koursk"
SCALE_FR = ROOT / "seeds" / "rating-scales" / "fr-example.yaml"  # the README's example scale


def publish(run_id, out, *extra):
    return runner.invoke(app, ["report", run_id, "--format", "claimreview", "-o", str(out), "--publish",
                               "--organization", "Example Fact Check", "--publish-url", PAGE, *extra])


def meta(run_id, claim, *options):
    return runner.invoke(app, ["claim-meta", run_id, claim, "--by", "Eve Editor", *options])


def test_publish_is_refused_naming_what_each_claim_lacks_until_it_is_set(reviewed_run, tmp_path):
    store, run_id = reviewed_run
    out = tmp_path / "fc.jsonld"
    refused = publish(run_id, out)
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "not publishable yet" in said
    lacks = ("claimant (itemReviewed.author), claim date (itemReviewed.datePublished), appearance URL "
             "(itemReviewed.appearance: the article has no web address)")  # the seed article was read from a file
    assert f"claim #1: {lacks}; claim #2: {lacks}." in said
    assert "claim #3" not in said  # sent back for evidence: not published, so nothing is asked of it
    assert not out.exists()

    assert meta(run_id, "1", "--claimant", "Donald Trump", "--claim-date", "2025-03-13",
                "--appearance-url", "https://www.lemonde.fr/article").exit_code == 0
    still = " ".join(publish(run_id, out).output.split())
    assert "claim #1" not in still and "claim #2: claimant" in still and not out.exists()

    done = meta(run_id, "#2", "--claimant", "Ministère russe de la Défense", "--claimant-kind", "organization",
                "--claim-date", "2025-03-12", "--appearance-url", "https://t.me/mod_russia/50000")
    assert done.exit_code == 0, done.output
    result = publish(run_id, out)
    assert result.exit_code == 0, result.output
    first, second = json.loads(out.read_text())
    assert first["url"] == f"{PAGE}#claim-1" and first["author"] == {"@type": "Organization", "name": "Example Fact Check"}
    assert first["itemReviewed"]["author"] == {"@type": "Person", "name": "Donald Trump"}
    assert first["itemReviewed"]["datePublished"] == "2025-03-13"
    assert second["itemReviewed"]["author"]["@type"] == "Organization"
    assert second["itemReviewed"]["appearance"][0] == {"@type": "CreativeWork", "url": "https://t.me/mod_russia/50000"}
    # Append-only: who set what stays in the claims' history.
    events = [e for e in events_of(store, run_id) if e.action == "publication"]
    assert [(e.actor, e.after["claimant"]) for e in events] == [
        ("Eve Editor", "Donald Trump"), ("Eve Editor", "Ministère russe de la Défense")]


def test_publish_names_the_missing_organization_and_page_address(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    result = runner.invoke(app, ["report", run_id, "--format", "claimreview", "--publish"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "the publishing organization (--organization" in said
    assert "page the fact-check is published on (--publish-url" in said


def test_placeholder_url_is_flagged_with_a_warning(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    result = runner.invoke(app, ["report", run_id, "--format", "claimreview", "-o", str(tmp_path / "d.jsonld")])
    assert result.exit_code == 0, result.output
    assert "warning: no --publish-url" in " ".join(result.output.split())
    assert all(item["url"].startswith("urn:verify:") for item in json.loads((tmp_path / "d.jsonld").read_text()))


def test_newsroom_scale_gives_names_in_its_language_and_its_numbers(reviewed_run, tmp_path, monkeypatch):
    store, run_id = reviewed_run
    monkeypatch.setenv("VERIFY_RATING_SCALE", str(SCALE_FR))
    from verify.review import decide

    refuted = store.get_claims(run_id)[3]  # the reviewer refutes claim #4: the scale has two names for it
    decide(store, run_id=run_id, claim_id=refuted.id, reviewer="Alice Martin", action="reject",
           machine_verdict=store.get_verdicts(run_id)[refuted.id], corrected_label="REFUTED")
    out = tmp_path / "fr.jsonld"
    draft = runner.invoke(app, ["report", run_id, "--format", "claimreview", "-o", str(out), "--publish-url", PAGE])
    assert draft.exit_code == 0, draft.output
    ratings = [item["reviewRating"] for item in json.loads(out.read_text())]
    assert [(r["alternateName"], r["ratingValue"], r["worstRating"], r["bestRating"]) for r in ratings] == [
        ("Vrai", 5, 1, 5), ("Invérifiable", 3, 1, 5)]  # claim #4 is left out until its name is chosen...
    assert "claim #4 is left out" in " ".join(draft.output.split())  # ...and the reader is told
    said = " ".join(publish(run_id, out).output.split())
    assert "claim #4: rating name not chosen (the scale has several for REFUTED: Faux, Trompeur), claimant" in said

    wrong = meta(run_id, "4", "--rating", "Inventé")
    assert wrong.exit_code == 2 and "is not on the rating scale: use one of Faux, Trompeur" in " ".join(wrong.output.split())
    assert meta(run_id, "4", "--rating", "trompeur").exit_code == 0  # the scale's spelling is stored
    runner.invoke(app, ["report", run_id, "--format", "claimreview", "-o", str(out), "--publish-url", PAGE])
    chosen = json.loads(out.read_text())[2]["reviewRating"]
    assert (chosen["alternateName"], chosen["ratingValue"]) == ("Trompeur", 2)


def test_a_rating_that_no_longer_matches_the_decision_blocks_publishing(reviewed_run, tmp_path, monkeypatch):
    _, run_id = reviewed_run
    scale = tmp_path / "echelle.json"
    scale.write_text(json.dumps({"worst": 1, "best": 5, "language": "fr", "ratings": [
        {"name": "Faux", "verdict": "REFUTED", "value": 1}, {"name": "Invérifiable", "verdict": "NOT_ENOUGH_INFO", "value": 3},
        {"name": "Vrai", "verdict": "SUPPORTED", "value": 5}]}), encoding="utf-8")
    monkeypatch.setenv("VERIFY_RATING_SCALE", str(scale))
    assert meta(run_id, "1", "--rating", "Faux").exit_code == 0  # claim #1 was approved as SUPPORTED
    said = " ".join(publish(run_id, tmp_path / "x.jsonld").output.split())
    assert "rating 'Faux' means REFUTED but the reviewer decided SUPPORTED: choose one of Vrai" in said


def test_a_broken_rating_scale_is_refused_naming_the_variable(reviewed_run, tmp_path, monkeypatch):
    _, run_id = reviewed_run
    scale = tmp_path / "bad.yaml"
    scale.write_text("worst: 1\nbest: 3\nratings:\n  - {name: Faux, verdict: REFUTED, value: 7}\n", encoding="utf-8")
    monkeypatch.setenv("VERIFY_RATING_SCALE", str(scale))
    result = runner.invoke(app, ["report", run_id, "--format", "claimreview"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert f"error: VERIFY_RATING_SCALE='{scale}' is not valid" in said and "outside worst..best (1..3)" in said
    monkeypatch.setenv("VERIFY_RATING_SCALE", str(tmp_path / "missing.yaml"))
    said = " ".join(runner.invoke(app, ["report", run_id, "--format", "claimreview"]).output.split())
    assert "could not be read (No such file or directory)" in said


def test_claim_meta_refuses_bad_values_and_writes_nothing(reviewed_run):
    store, run_id = reviewed_run
    cases = [(["--claim-date", "14/03/2025"], "is not a date: write it as YYYY-MM-DD"),
             (["--claim-date", "2999-01-01"], "is in the future"),
             (["--appearance-url", "javascript:alert(1)"], "must start with http:// or https://"),
             (["--claimant-kind", "robot"], "use person or organization"),
             (["--claimant", "Donald Trump", "--claim-date", "yesterday"], "is not a date")]
    for options, message in cases:
        result = meta(run_id, "1", *options)
        assert result.exit_code == 2 and message in " ".join(result.output.split()), (options, result.output)
    assert [e for e in events_of(store, run_id) if e.action == "publication"] == []
    shown = meta(run_id, "1")  # no option: the current details are printed, nothing is written
    assert shown.exit_code == 0 and "claimant: (not set)" in shown.output


def test_only_an_editor_publishes_when_the_team_has_roles(reviewed_run, tmp_path, monkeypatch):
    """Behind an authenticating proxy with a users file (verify/roles.py): a reviewer sets publication
    details but cannot make the publishable export; an editor can."""
    _, run_id = reviewed_run
    users = tmp_path / "users.yaml"
    users.write_text("credentials:\n  usernames:\n    rita: {name: Rita, roles: [reviewer]}\n"
                     "    erin: {name: Erin, roles: [editor]}\n", encoding="utf-8")
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", str(users))
    monkeypatch.setenv("VERIFY_TRUSTED_USER_HEADER", "X-Forwarded-User")
    for number, claimant in (("1", "Donald Trump"), ("2", "Kyiv")):
        done = runner.invoke(app, ["claim-meta", run_id, number, "--by", "rita", "--claimant", claimant,
                                   "--claim-date", "2025-03-13", "--appearance-url", "https://example.org/a"])
        assert done.exit_code == 0, done.output
    out = tmp_path / "fc.jsonld"
    refused = publish(run_id, out, "--by", "rita")
    assert refused.exit_code == 2 and not out.exists()
    assert "rita is a reviewer: only an editor or an admin can publish the report" in " ".join(refused.output.split())
    assert publish(run_id, out, "--by", "erin").exit_code == 0 and len(json.loads(out.read_text())) == 2
