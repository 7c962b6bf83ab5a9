"""Claim editing in the dashboard (issue 11): add a claim from the article, reword it, mark one not
check-worthy, merge a duplicate, re-judge one claim. AppTest against a real store; the re-judge runs
`verify rejudge` against a local OpenAI-compatible server."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import SEED_CLAIMS
from tests.fakes import judge_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer
from tests.ui.conftest import all_html, checked, focus, open_app, open_section, visible
from verify import claim_edits

OPENING = ("Le président américain Donald Trump a exhorté vendredi le président russe Vladimir Poutine à épargner "
           "les troupes ukrainiennes")


def add_opening(at):
    """Pick the first sentence no claim covers (the opening one is preselected) and add it."""
    assert at.selectbox(key="add_sentence").value == 0
    return checked(at.button(key="add_claim").click().run())


def test_a_missed_sentence_is_added_from_the_article_and_opened(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    at = add_opening(open_app(run_id))
    claims = store.get_claims(run_id)
    added = claims[-1]
    assert len(claims) == len(SEED_CLAIMS) + 1 and added.quote.startswith(OPENING)
    assert seeded_run.article.text[added.span.start:added.span.end] == added.quote  # exact, verified span
    assert focus(at) == added.id  # the new claim is open, waiting for its verdict
    shown = visible(at)
    assert f"Added claim #{len(SEED_CLAIMS) + 1} from the article" in shown
    assert "Added from the article by Alice." in shown
    at = open_section(at, f"edit_open_{added.id}")  # the claim editor is drawn once opened
    assert at.button(key=f"claim_rejudge_{added.id}").label == "Judge this claim"


def test_a_trimmed_quote_must_come_from_the_sentence(seeded_run):
    at = open_app(seeded_run.run.id)
    at.text_area(key="add_quote_0").input("Donald Trump a exhorté vendredi le président russe")
    at = checked(at.button(key="add_claim").click().run())
    added = seeded_run.store.get_claims(seeded_run.run.id)[-1]
    assert added.quote == "Donald Trump a exhorté vendredi le président russe"
    assert seeded_run.article.text[added.span.start:added.span.end] == added.quote
    at.text_area(key="add_quote_0").input("Donald Trump a dit autre chose")  # not the article's words
    at = checked(at.run())
    assert at.button(key="add_claim").disabled
    assert "The quote must be copied from the chosen sentence" in visible(at)


def test_edit_wording_not_check_worthy_and_merge_are_events_the_page_follows(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    first, second, third = (c.id for c in seeded_run.claims[:3])
    at = open_app(run_id)
    assert focus(at) == first
    at = open_section(at, f"edit_open_{first}")
    at.text_area(key=f"edit_text_{first}").input("Witkoff a vu Poutine à Moscou.")
    at = checked(at.button(key=f"save_wording_{first}").click().run())
    assert '<p class="vf-claim-text"><b>Witkoff a vu Poutine à Moscou.</b></p>' in all_html(at)  # the card's wording
    assert f"originally: “{seeded_run.claims[0].text}”" in visible(at)

    at = checked(at.selectbox(key=f"merge_{first}").set_value(second).run())  # enables the merge button
    at = checked(at.button(key=f"merge_go_{first}").click().run())
    assert second not in at.selectbox(key="claim_select").options  # out of the queue...
    at = checked(at.button(key=f"worthy_{first}").click().run())  # ...and #1 not check-worthy
    progress = at.sidebar.get("progress")[0].proto.text
    assert progress.endswith(f"/ {len(SEED_CLAIMS) - 2}"), progress  # both out of the counts

    effective = claim_edits.effective_claims(store, run_id)
    assert (effective[second].merged_into, effective[first].status, effective[third].status) == (
        first, "not_check_worthy", "active")
    assert [(e.action, e.actor) for e in claim_edits.events_of(store, run_id)] == [
        ("edit", "Alice"), ("merge", "Alice"), ("not_check_worthy", "Alice")]
    history = next(d.value for d in at.dataframe if "change" in d.value.columns)  # the claim's edit history
    assert list(history["who"]) == ["Alice", "Alice"] and "wording" in history["change"][0]
    zone = datetime.now().astimezone().tzname()  # local times, the zone named (as every other history)
    assert all(when.endswith(f" {zone}") for when in history["when"]), list(history["when"])


def test_a_claim_is_rejudged_on_demand_and_its_old_verdict_kept(seeded_run, monkeypatch):
    store, run_id = seeded_run.store, seeded_run.run.id
    second = seeded_run.claims[1].id
    with OpenAICompatibleServer(lambda request: Behaviour(judge_reply("SUPPORTED", ["S1"]))) as server:
        monkeypatch.setenv("VERIFY_MODEL", "judge-2026")
        monkeypatch.setenv("VERIFY_BASE_URL", server.base_url)
        at = open_app(run_id)
        checked(at.button(key="next_claim").click().run())
        assert focus(at) == second
        at = open_section(at, f"edit_open_{second}")
        at = checked(at.button(key=f"claim_rejudge_{second}").click().run())
    assert store.get_verdicts(run_id)[second].label.value == "SUPPORTED"  # was REFUTED
    (event,) = claim_edits.events_of(store, run_id)
    assert (event.action, event.actor, event.before["label"], event.after["label"]) == (
        "rejudge", "Alice", "REFUTED", "SUPPORTED")
    assert f"re-judged by judge-2026@{server.base_url}: SUPPORTED (was REFUTED)" in visible(at)
