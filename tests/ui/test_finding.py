"""Finding and history (issue 11, part D): search, filters with counts kept in the URL, the list of all
claims whose rows open a claim, the run-wide activity log, named time zones, undo saying what it undid."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from verify.review import decide

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, checked, focus, open_app, visible


def record(seeded_run, index: int, action: str, label: str | None = None, note: str = "", reviewer: str = "Alice"):
    """A decision written as the dashboard writes it (decision-form clicks are tested elsewhere)."""
    claim = seeded_run.claims[index]
    last = seeded_run.store.review_events(claim_id=claim.id)
    return decide(seeded_run.store, run_id=seeded_run.run.id, claim_id=claim.id, reviewer=reviewer, action=action,
                  machine_verdict=seeded_run.verdicts[claim.id], corrected_label=label, note=note,
                  expected_last_event=last[-1].id if last else None)


def numbers(at) -> list[str]:
    return [o.split(" · ")[0] for o in at.selectbox(key="claim_select").options]


def search(at, query: str):
    return checked(at.text_input(key="q").input(query).run())


def test_search_looks_in_quote_english_form_and_notes_ignoring_case_and_accents(seeded_run):
    at = open_app(seeded_run.run.id)
    assert numbers(search(at, "kellogg")) == ["#4"]  # in the claim text, past what a selector label shows
    assert numbers(search(at, "Moscow")) == ["#1"]  # only in the English form
    assert numbers(search(at, "kiev")) == ["#2"]  # only in the article quote
    assert numbers(search(at, "declare")) == ["#2", "#3"]  # "déclaré": accents ignored
    assert numbers(search(at, "witkoff moscou")) == ["#1"]  # every word must occur
    record(seeded_run, 0, "needs_evidence", note="Ask the Élysée press office")
    assert numbers(search(at, "elysee press")) == ["#1"]  # a review note
    assert "Search finds **1** claim" in "\n".join(c.value for c in at.sidebar.caption)


def sidebar_captions(at) -> str:
    return "\n".join(c.value for c in at.sidebar.caption)


def test_filters_show_counts_and_survive_a_reload_through_the_url(seeded_run):
    run_id = seeded_run.run.id
    at = open_app(run_id)
    counts = sidebar_captions(at)
    assert "✓ SUPPORTED **2** · ✗ REFUTED **1** · ? NOT_ENOUGH_INFO **1**" in counts
    assert "not reviewed **4**" in counts
    record(seeded_run, 0, "approve")
    checked(at.multiselect(key="f_verdict").select("SUPPORTED").run())
    checked(at.text_input(key="q").input("Poutine").run())
    assert numbers(at) == ["#1", "#3"]
    counts = sidebar_captions(at)
    assert "approved **1**" in counts and "not reviewed **1**" in counts  # state counts within the verdict filter
    # Each search and filter widget is bound to a URL parameter of its own name: the browser updates
    # the URL as they change (AppTest has no browser URL bar, so the binding itself is checked).
    bound = {w.proto.query_param_key for w in [at.text_input(key="q"), at.multiselect(key="f_verdict"),
                                               at.multiselect(key="f_state"), at.checkbox(key="f_low"),
                                               at.slider(key="f_threshold")]}
    assert bound == {"q", "f_verdict", "f_state", "f_low", "f_threshold"}
    params = {"run": run_id, "q": "Poutine", "f_verdict": ["✓ SUPPORTED"]}  # as the browser's URL carries them

    reloaded = AppTest.from_file(str(APP), default_timeout=30)  # a new browser session on that URL
    reloaded.query_params.update(params)
    checked(reloaded.run())
    assert reloaded.text_input(key="q").value == "Poutine"
    assert reloaded.multiselect(key="f_verdict").value == ["SUPPORTED"]
    assert numbers(reloaded) == ["#1", "#3"]


def open_view(run_id: str, view: str):
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update({"run": run_id, "view": view})
    at.session_state["reviewer"] = "Alice"
    return checked(at.run())


def test_all_claims_list_shows_every_claim_and_a_clicked_row_opens_it(seeded_run):
    record(seeded_run, 1, "reject", label="SUPPORTED", note="the army said the opposite", reviewer="Bob")
    at = open_view(seeded_run.run.id, "All claims")
    table = at.dataframe(key="claims_table")
    assert list(table.value.columns) == ["#", "claim", "state", "machine verdict", "confidence", "reviewer",
                                         "last change"]
    assert list(table.value["#"]) == [1, 2, 3, 4]
    second = table.value.iloc[1]
    assert second["claim"] == seeded_run.claims[1].text  # whole text, not cut
    assert (second["state"], second["machine verdict"], second["reviewer"]) == (
        "rejected (label corrected)", "✗ REFUTED", "Bob")
    assert second["confidence"] == seeded_run.verdicts[seeded_run.claims[1].id].confidence
    assert second["last change"].endswith(datetime.now().astimezone().tzname())
    assert table.proto.selection_mode  # rows are selectable

    at.session_state["claims_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    checked(at.run())
    assert focus(at) == seeded_run.claims[2].id  # the row's claim, open in the review view
    assert at.segmented_control(key="view").value == "Review"


def test_all_claims_list_follows_search_and_filters(seeded_run):
    at = open_view(seeded_run.run.id, "All claims")
    checked(at.text_input(key="q").input("Kellogg").run())
    assert list(at.dataframe(key="claims_table").value["#"]) == [4]
    at.session_state["claims_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    checked(at.run())
    assert focus(at) == seeded_run.claims[3].id


def test_activity_log_lists_every_event_newest_first_with_notes_and_what_an_undo_undid(seeded_run, monkeypatch):
    monkeypatch.setenv("VERIFY_TIMEZONE", "Europe/Paris")
    record(seeded_run, 0, "approve", reviewer="Alice")
    long_note = "Checked against the ministry's statement of 14 March; " * 6
    reject = record(seeded_run, 1, "reject", label="SUPPORTED", note=long_note, reviewer="Alice")
    record(seeded_run, 1, "undo", reviewer="Bob")
    at = open_view(seeded_run.run.id, "Activity")
    entries = [m.value for m in at.markdown if " · **" in m.value]
    assert len(entries) == 3
    assert entries[0].startswith("**#2** · ") and "**Bob**" in entries[0]  # newest first
    when = datetime.fromisoformat(reject.created_at).astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M %Z")
    shown = visible(at)
    assert f"undo of Alice's reject (✓ SUPPORTED) at {when}; now ✗ REFUTED" in shown
    assert "rejected ✗ REFUTED → ✓ SUPPORTED" in shown and "approved ✓ SUPPORTED" in shown
    assert long_note.strip() in shown.replace("\n> ", " ")  # the whole note, not cut off
    assert "Times in CET (VERIFY_TIMEZONE=Europe/Paris)" in shown or "Times in CEST" in shown
    checked(at.button(key=f"open_event_{reject.id}").click().run())
    assert focus(at) == seeded_run.claims[1].id and at.segmented_control(key="view").value == "Review"


def test_claim_history_names_the_time_zone_and_what_an_undo_undid(seeded_run):
    first = record(seeded_run, 0, "reject", label="REFUTED", note="wrong city", reviewer="Alice")
    record(seeded_run, 0, "undo", reviewer="Alice")
    at = open_app(seeded_run.run.id)
    zone = datetime.now().astimezone().tzname()
    when = datetime.fromisoformat(first.created_at).astimezone().strftime("%H:%M")
    shown = visible(at)
    assert f"undo of Alice's reject (✗ REFUTED) at {when} {zone}; now ✓ SUPPORTED" in shown
    assert f"Times in {zone} (the server's zone" in shown
    assert "> wrong city" in shown


def test_undo_confirmation_says_what_it_undid(seeded_run):
    first = seeded_run.claims[0].id
    reject = record(seeded_run, 0, "reject", label="REFUTED", reviewer="Alice")
    at = open_app(seeded_run.run.id)
    checked(at.selectbox(key="claim_select").set_value(first).run())
    checked(at.button(key=f"undo_{first}").click().run())
    when = datetime.fromisoformat(reject.created_at).astimezone().strftime("%H:%M %Z")
    assert (f"Recorded: undo of Alice's reject (✗ REFUTED) at {when}; now ✓ SUPPORTED on claim #1 by Alice."
            in visible(at))
