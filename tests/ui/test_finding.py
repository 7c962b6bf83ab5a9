"""Finding and history (issue 11, part D): search, filters with counts kept in the URL, the list of all
claims whose rows open a claim, the run-wide activity log, named time zones, undo saying what it undid."""

from __future__ import annotations

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
