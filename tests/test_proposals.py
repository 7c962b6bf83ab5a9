"""Proposed publication details (issue 14): the model proposes claimant and claim date where the article
says them (extract_claims/v2); the article proposes the rest (its date, its address, a speaker named with
a reporting verb). A proposal is shown, never set: `verify claim-meta` prints it beside the set values."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.conftest import SEED_SOURCES, make_pipeline
from tests.fakes import extraction_reply, judge_reply, scripted
from tests.test_extract import ARTICLE, llm
from verify.cli import app
from verify.extract import extract_abstractive, extract_extractive
from verify.models import Article
from verify.prompts import load_prompt
from verify.proposals import ArticleFacts, propose, speaker
from verify.publication import publication_details

PESKOV = "Il y a des raisons d'être prudemment optimiste, a déclaré Dmitri Peskov."


def test_the_model_proposes_who_made_the_claim_and_when_and_a_date_it_cannot_give_is_dropped():
    chat = scripted(extraction_reply(
        ("M. Poutine avait envoyé un message à M. Trump", "Poutine a envoyé un message à Trump.",
         "Putin sent Trump a message.", "Le Kremlin", "2025-03-14"),
        ("il y a des raisons d'être prudemment optimiste", "Peskov est prudemment optimiste.",
         "Peskov is cautiously optimistic.", "Dmitri Peskov", "vendredi")))
    result = extract_abstractive(ARTICLE, llm(chat), load_prompt("extract_claims", "v2"), "r")
    kremlin, peskov = (c.proposal for c in result.claims)
    assert (kremlin.claimant, kremlin.claimant_by, kremlin.claim_date, kremlin.claim_date_by) == (
        "Le Kremlin", "fake", "2025-03-14", "fake")
    assert (peskov.claimant, peskov.claim_date) == ("Dmitri Peskov", "")  # "vendredi" is no date: not guessed
    assert '"claimant"' in chat.received[0]["messages"][0].content  # the v2 prompt asks for them


def test_a_french_sentence_naming_its_speaker_proposes_the_claimant_and_nothing_is_invented():
    article = Article.from_text(f"{PESKOV}\n\nSelon des analystes, les forces ukrainiennes sont isolées.",
                                title="t", language="fr", source="a.txt")
    result = extract_extractive(article, llm(scripted('{"sentence_ids": ["S1", "S2"]}')),
                                load_prompt("select_claims"), "r")
    peskov, analysts = propose(result.claims, article, ArticleFacts())
    assert (peskov.proposal.claimant, peskov.proposal.claimant_by) == ("Dmitri Peskov", "the article")
    assert peskov.proposal.claim_date == "" and peskov.proposal.appearance_url == ""  # the article gives neither
    assert analysts.proposal is None
    assert speaker("Donald Trump told reporters the war could end.", "en") == "Donald Trump"
    assert speaker(PESKOV, "xx") == ""  # no pattern for the language: no guess


def test_a_run_proposes_the_front_matter_date_and_address_and_claim_meta_prints_them_beside_set_values(tmp_path):
    page = "https://www.lemonde.fr/international/article/peskov"
    article = tmp_path / "peskov.md"
    article.write_text(f"---\ntitle: Peskov\ndate: 2025-03-14\nurl: {page}\nlanguage: fr\n---\n{PESKOV}\n",
                       encoding="utf-8")
    chat = scripted(extraction_reply(("il y a des raisons d'être prudemment optimiste",
                                      "Peskov est prudemment optimiste.", "Peskov is optimistic.", None, None)),
                    judge_reply("NOT_ENOUGH_INFO", []))
    pipeline = make_pipeline(chat)
    outcome = pipeline.run(str(article), [str(SEED_SOURCES)])
    claim, = pipeline.store.get_claims(outcome.run.id)
    assert pipeline.store.get_run(outcome.run.id).settings.extract_prompt == "extract_claims/v2"
    assert (claim.proposal.claimant, claim.proposal.claim_date, claim.proposal.claim_date_by,
            claim.proposal.appearance_url) == ("Dmitri Peskov", "2025-03-14", "the article", page)
    assert publication_details(pipeline.store, outcome.run.id) == {}  # proposed, not set

    shown = CliRunner().invoke(app, ["claim-meta", outcome.run.id, "1"])
    said = " ".join(shown.output.split())
    assert shown.exit_code == 0, shown.output
    assert "claimant: (not set)" in said
    assert ("proposed (not set until confirmed): claimant: Dmitri Peskov (by the article); "
            f"claim date: 2025-03-14 (by the article); appearance url: {page} (by the article)") in said
