"""Claim editing (issue 11): add from the article, reword, not check-worthy, merge, re-judge one claim.
Real SQLite, real Chroma (hash embedder), scripted model; every change is an append-only event."""

from __future__ import annotations

import pytest

from tests.conftest import SEED_CLAIMS, fake_settings
from tests.fakes import judge_reply, register_fake, scripted
from verify import claim_edits
from verify.errors import VerifyError
from verify.pipeline import rejudge_claim

pytestmark = pytest.mark.usefixtures("store_url")  # every test on SQLite, then PostgreSQL (issue 14)

OPENING = "Le président américain Donald Trump a exhorté vendredi le président russe Vladimir Poutine"


def opening_span(seeded) -> tuple[int, int]:
    text = seeded.article.text
    start = text.index(OPENING)
    return start, text.index("\n", start)


def test_the_missed_opening_paragraph_can_be_added_with_an_exact_span(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    start, end = opening_span(seeded_run)
    claim = claim_edits.add_claim(store, run_id, start, end + 2, "Alice")  # the blank line after it is trimmed
    stored = {c.id: c for c in store.get_claims(run_id)}[claim.id]
    assert stored.span.start == start and stored.span.end == end and stored.anchor == "exact"
    assert seeded_run.article.text[start:end] == stored.quote == stored.text
    assert stored.index == len(SEED_CLAIMS)  # numbered after the others: existing numbers never move
    (event,) = claim_edits.events_of(store, run_id)
    assert (event.claim_id, event.actor, event.action, event.after["span"]) == (claim.id, "Alice", "add", [start, end])
    with pytest.raises(VerifyError, match=f"claim #{len(SEED_CLAIMS) + 1} already covers exactly this text"):
        claim_edits.add_claim(store, run_id, start, end, "Bob")
    with pytest.raises(VerifyError, match="outside the article"):
        claim_edits.add_claim(store, run_id, 10, len(seeded_run.article.text) + 5, "Bob")


def test_editing_the_wording_keeps_the_span_and_the_original_text(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    first = seeded_run.claims[0]
    claim_edits.edit_wording(store, run_id, first.id, "Alice", "Witkoff a vu Poutine à Moscou jeudi.",
                             "Witkoff saw Putin in Moscow on Thursday.")
    item = claim_edits.effective_claims(store, run_id)[first.id]
    assert (item.claim.text, item.claim.text_en) == ("Witkoff a vu Poutine à Moscou jeudi.",
                                                     "Witkoff saw Putin in Moscow on Thursday.")
    assert item.claim.span == first.span and item.claim.quote == first.quote  # still anchored where it was
    assert item.original_text == first.text and item.edited
    assert store.get_claims(run_id)[0].text == first.text  # the stored row is never changed
    assert item.events[0].before == {"text": first.text, "text_en": first.text_en}


def test_not_check_worthy_and_merged_claims_leave_the_counts_but_stay_listed(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    one, two, three = (c.id for c in seeded_run.claims[:3])
    claim_edits.set_check_worthy(store, run_id, three, "Alice", worthy=False, note="opinion")
    claim_edits.merge(store, run_id, one, two, "Alice")
    claims = claim_edits.effective_claims(store, run_id)
    assert len(claims) == len(SEED_CLAIMS)  # both kept
    assert (claims[two].status, claims[two].merged_into, claims[one].absorbed) == ("merged", one, [two])
    assert claims[three].status == "not_check_worthy"
    assert [c for c, item in claims.items() if item.counted] == [one, seeded_run.claims[3].id]
    with pytest.raises(VerifyError, match="already merged into claim #1"):
        claim_edits.merge(store, run_id, three, two, "Bob")
    with pytest.raises(VerifyError, match="cannot absorb itself"):
        claim_edits.merge(store, run_id, one, one, "Bob")
    claim_edits.unmerge(store, run_id, two, "Bob")
    assert claim_edits.effective_claims(store, run_id)[two].status == "active"
    actions = [e.action for e in claim_edits.events_of(store, run_id)]
    assert actions == ["not_check_worthy", "merge", "unmerge"]  # append-only: the merge is still there


def test_rejudging_one_claim_appends_the_new_verdict_and_keeps_the_old(seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    start, end = opening_span(seeded_run)
    added = claim_edits.add_claim(store, run_id, start, end, "Alice", text_en="Trump urged Putin to spare Ukrainian troops.")
    second = seeded_run.claims[1]
    claim_edits.edit_wording(store, run_id, second.id, "Alice", "L'armée ukrainienne nie tout encerclement.")
    chat = scripted(judge_reply("SUPPORTED", ["S1"]), judge_reply("NOT_ENOUGH_INFO", []))
    register_fake(chat)
    settings = fake_settings()
    first_verdict = rejudge_claim(settings, run_id, added.id, "Alice", store=store).verdict
    again = rejudge_claim(settings, run_id, second.id, "Bob", store=store).verdict
    assert len(chat.received) == 2  # retrieve + judge for each claim asked, nothing else
    assert "L'armée ukrainienne nie tout encerclement." in chat.prompts[1]  # the edited wording is judged
    verdicts = store.get_verdicts(run_id)
    assert verdicts[added.id].label.value == first_verdict.label.value == "SUPPORTED"
    assert verdicts[second.id].label.value == again.label.value == "NOT_ENOUGH_INFO"
    assert store.get_evidence(added.id)  # its evidence is stored with it
    rejudged = [e for e in claim_edits.events_of(store, run_id) if e.action == "rejudge"]
    assert [(e.claim_id, e.actor) for e in rejudged] == [(added.id, "Alice"), (second.id, "Bob")]
    assert rejudged[0].before is None and rejudged[0].after["label"] == "SUPPORTED"
    assert rejudged[1].before["label"] == seeded_run.verdicts[second.id].label.value == "REFUTED"  # kept whole
    assert rejudged[1].before["rationale"] == seeded_run.verdicts[second.id].rationale


def test_a_change_needs_a_name(seeded_run):
    with pytest.raises(VerifyError, match="a name is required"):
        claim_edits.set_check_worthy(seeded_run.store, seeded_run.run.id, seeded_run.claims[0].id, " ", worthy=False)


def test_reports_use_the_edited_wording_and_leave_out_merged_and_not_check_worthy_claims(seeded_run):
    from verify.report import build_report

    store, run_id = seeded_run.store, seeded_run.run.id
    one, two, three, four = (c.id for c in seeded_run.claims)
    claim_edits.edit_wording(store, run_id, one, "Alice", "Witkoff a vu Poutine à Moscou.")
    claim_edits.merge(store, run_id, one, two, "Alice")
    claim_edits.set_check_worthy(store, run_id, three, "Alice", worthy=False)
    report = build_report(store, run_id)
    assert [(c.claim_id, c.text) for c in report.claims] == [(one, "Witkoff a vu Poutine à Moscou."),
                                                             (four, seeded_run.claims[3].text)]
    assert report.header.claims_total == 2
