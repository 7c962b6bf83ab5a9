"""What the dashboard shows: runs page, article view, claim panel, filters, warnings, exports, escaping."""

from __future__ import annotations

import json
import re

import pytest

from tests.ui.conftest import (HOSTILE, all_html, all_markdown, checked, decide, downloaded, focus, hostile_run,
                               open_app, page_run, scripts, visible)
from ui.render import scroll_to_focus_js
from verify.config import Settings
from verify.store import Store


def test_runs_page_lists_each_run_with_counts_and_progress(seeded_run):
    at = open_app()
    row = at.dataframe[0].value.iloc[0]
    assert row["article"] == "trump-poutine-koursk.fr.txt" and row["language"] == "fr"  # untitled: its file
    assert row["model"] == "fake-model" and row["status"] == "finished"
    assert (row["✓"], row["✗"], row["?"], row["!"]) == (2, 1, 1, 0)
    assert row["reviewed"] == "0 / 4"
    checked(at.button(key="open_run").click().run())
    assert focus(at) == seeded_run.claims[0].id


def test_article_view_labels_every_claim_span_with_its_verdict(seeded_run):
    at = open_app(seeded_run.run.id)
    html = all_html(at)
    for number, label in enumerate(["✓ SUPPORTED", "✗ REFUTED", "✓ SUPPORTED", "? NOT_ENOUGH_INFO"], start=1):
        assert f"#{number} {label}<" in html
    assert html.count("vf-focus") == 2  # the stylesheet rule and the focused claim
    assert "Steve Witkoff, a tenu une longue réunion" in html


def test_claim_panel_shows_claim_verdict_and_cited_sentence_in_its_passage(seeded_run):
    at = open_app(seeded_run.run.id)
    claim = seeded_run.claims[0]
    verdict = seeded_run.verdicts[claim.id]
    shown = visible(at)
    assert claim.text in shown and claim.text_en in shown
    assert "Machine verdict: ✓ SUPPORTED · confidence 0.80" in shown
    citation = verdict.citations[0]
    html = all_html(at)
    # The cited sentence carries its own stance as the judge gave it (judge_claim/v2), never the claim's
    # verdict label (issue 11).
    assert citation.stance == "supports"
    assert f"<b>[1]</b> <span class=\"vf-stance\"" in html
    assert f"supports</span>{citation.text}" in html.replace("&#x27;", "'")
    assert f"[1] ✓ SUPPORTED</span>{citation.text}" not in html.replace("&#x27;", "'")
    evidence = seeded_run.store.get_evidence(claim.id)
    assert evidence[0].chunk.source.title in html.replace("&#x27;", "'")
    passages = [e for e in at.expander if e.label.startswith("Passage ")]
    assert len(passages) == len(evidence) and passages[0].proto.expanded  # every passage, the cited one open


def test_filters_by_verdict_review_state_and_confidence(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    third = seeded_run.claims[2]
    low = seeded_run.verdicts[third.id].model_copy(update={"confidence": 0.3})
    store.save_judgement(third, store.get_evidence(third.id), low)
    at = open_app(run_id)
    assert len(at.selectbox(key="claim_select").options) == 4
    checked(at.multiselect(key="f_verdict").select("REFUTED").run())
    assert [o.split(" · ")[0] for o in at.selectbox(key="claim_select").options] == ["#2"]
    checked(at.multiselect(key="f_verdict").unselect("REFUTED").run())
    assert focus(at) == seeded_run.claims[1].id  # the focus stays where the reviewer was
    page_run(decide(at, "Approve"))  # the filters are outside the fragments a decision reruns
    checked(at.multiselect(key="f_state").select("approved").run())
    assert [o.split(" · ")[0] for o in at.selectbox(key="claim_select").options] == ["#2"]
    checked(at.multiselect(key="f_state").unselect("approved").run())
    checked(at.checkbox(key="f_low").check().run())
    checked(at.slider(key="f_threshold").set_value(0.5).run())
    assert [o.split(" · ")[0] for o in at.selectbox(key="claim_select").options] == ["#3"]


def test_failed_verdict_shows_the_error_and_raw_output():
    store = Store(Settings.from_env().db_path)
    run, _ = hostile_run(store, status="error")
    at = open_app(run.id)
    assert "FAILED" in at.error[0].value and "invalid JSON" in at.error[0].value
    assert at.text[0].value == f"raw {HOSTILE}"  # st.text shows text verbatim, never as HTML
    assert at.radio[0].options == ["Reject", "Needs more evidence"]  # nothing to approve


def test_demo_grade_model_is_flagged(seeded_run):
    store, run = seeded_run.store, seeded_run.run
    store.finish_run(run.id, "done", {**run.summary, "demo_grade_model": True})
    at = open_app(run.id)
    said = [w.value.replace("\\", "") for w in at.warning if "demo-grade" in w.value.replace("\\", "")]
    assert len(said) == 1  # once, at the top of the run page (issue 11: it showed twice)


def test_markup_in_article_claim_and_source_is_displayed_as_text():
    store = Store(Settings.from_env().db_path)
    run, _ = hostile_run(store)
    at = open_app(run.id)
    html, markdown = all_html(at), all_markdown(at)
    for raw in ("<script", "<img", "onerror=alert(1)>", 'href="javascript'):
        assert raw not in html.replace("<style>", "")
        assert not re.search(r"(?<!\\)" + re.escape(raw), markdown)  # only backslash-escaped forms
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html  # article, source title and passage
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:alert(1)" in html  # the bad link is shown as inert text
    assert "\\<script\\>" in markdown and "\\<img src=x onerror=alert\\(1\\)\\>" in markdown  # claim, rationale
    assert "Claim <script>alert('x')</script>" in visible(at)
    assert scripts(at) == [scroll_to_focus_js(1)]  # the only script is the app's own, with no text in it


def test_export_downloads_the_report_in_each_format(seeded_run, downloads):
    at = open_app(seeded_run.run.id)
    page_run(decide(at, "Reject", label="REFUTED", note="wrong day"))  # the export is outside its fragments
    claim = seeded_run.claims[0]
    assert claim.text in downloaded(at, downloads).decode("utf-8")  # markdown first
    checked(at.selectbox(key="export_format").set_value("json").run())
    doc = json.loads(downloaded(at, downloads))
    text = json.dumps(doc, ensure_ascii=False)
    assert claim.text in text and "REFUTED" in text
    assert set(at.selectbox(key="export_format").options) >= {"md", "json"}


@pytest.mark.sqlite_only(reason="checks that no SQLite file is created at the configured path")
def test_a_missing_store_is_named_on_the_page_and_not_created(tmp_path):
    """A typo in --db or VERIFY_DB: the dashboard says there is no store there instead of creating
    an empty one and showing "No runs yet"."""
    at = open_app()
    path = Settings.from_env().db_path
    shown = visible(at).replace("\\_", "_")  # Markdown-escaped underscores read as underscores
    assert f"No verify store at {path}" in shown and "`verify run` creates the store" in shown
    assert not path.exists() and not at.dataframe


def test_unknown_run_says_so_and_offers_the_way_back(seeded_run):
    at = open_app("r-does-not-exist")
    assert "no run" in at.error[0].value
    checked(at.button(key="back_error").click().run())
    assert at.dataframe  # back on the runs page
