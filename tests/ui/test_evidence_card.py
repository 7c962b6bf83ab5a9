"""The evidence-first claim card (issue 11): each evidence sentence with its own stance, differences and
source; every retrieved passage reachable; reviewer citations from any passage or the whole stored
source, stored as events; a source added from the dashboard and the claim re-judged."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.fakes import judge_reply, register_fake, scripted
from tests.ui.conftest import SETTINGS, all_html, checked, focus, open_app, open_section
from verify import review
from verify.config import Settings
from verify.models import (Article, Chunk, Citation, Claim, Evidence, PromptRef, Run, Sentence, SourceMeta,
                           Span, Verdict, utcnow)
from verify.store import Store
from verify.vectorstore import VectorStore

CLAIM = "La BCE a baissé ses taux d'un demi-point le 12 mars 2025."
CITED = "The ECB cut rates by a quarter of a percentage point on March 12, 2025."


def rate_run(store: Store, stance: str | None = None, prompt_version: str = "v1") -> tuple[Run, Claim]:
    """A claim of half a point whose cited sentence says a quarter; a second, uncited passage."""
    article = Article.from_text(f"Intro. {CLAIM} Outro.", title="Taux", language="fr", source="test")
    store.save_article(article)
    run = Run(id="r-rate", article_id=article.id, created_at=utcnow(), status="done", settings=SETTINGS)
    store.create_run(run)
    start = article.text.index(CLAIM)
    claim = Claim(id="c-rate", run_id=run.id, article_id=article.id, index=0, text=CLAIM, text_en=CLAIM, quote=CLAIM,
                  span=Span(start=start, end=start + len(CLAIM)), anchor="exact")
    store.save_claims([claim])
    cited = _chunk("ecb", "ECB decision", "Reuters", [CITED, "Markets had expected it."])
    folded = _chunk("afp", "Taux directeurs", "AFP", ["Les marchés s'y attendaient.", "La baisse est d'un demi-point."])
    citation = Citation(chunk_id=cited.id, source_id="ecb", sentence_index=0, text=CITED,
                        start=cited.sentences[0].start, end=cited.sentences[0].end, stance=stance)
    verdict = Verdict(id="v-rate", run_id=run.id, claim_id=claim.id, status="ok", label="SUPPORTED", confidence=0.9,
                      citations=[citation], model="fake-model",
                      prompt=PromptRef(id="judge_claim", version=prompt_version, sha256=""))
    store.save_judgement(claim, [Evidence(chunk=cited, rank=1, fused_score=2.0),
                                 Evidence(chunk=folded, rank=2, fused_score=1.0)], verdict)
    return run, claim


def _chunk(source_id: str, title: str, publisher: str, texts: list[str]) -> Chunk:
    sentences, cursor = [], 0
    for i, text in enumerate(texts):
        sentences.append(Sentence(index=i, text=text, start=cursor, end=cursor + len(text)))
        cursor += len(text) + 1
    meta = SourceMeta(source_id=source_id, title=title, publisher=publisher, published="2025-03-12", language="en",
                      url=f"https://news.example/{source_id}")
    return Chunk(id=f"{source_id}:0", source=meta, n=0, text=" ".join(texts), start=0, end=cursor - 1,
                 sentences=sentences)


@pytest.mark.sqlite_only(reason="writes its run into the file tmp_path/verify.db, not at VERIFY_DB")
def test_a_cited_sentence_shows_its_own_stance_its_differences_and_its_source(tmp_path):
    store = Store(tmp_path / "verify.db")
    run, _ = rate_run(store)
    html = all_html(open_app(run.id))
    card = html[html.index('<div class="vf-sentence">'):]
    card = card[:card.index("</div></div>") + 12]
    assert "cited by the model</span>" in card  # the sentence's stance: the model gave none for it
    assert "SUPPORTED" not in card  # the claim's verdict is not passed off as the sentence's stance
    assert '<mark class="vf-diff">a quarter</mark>' in card
    assert "claim says “un demi-point”, the sentence says “a quarter”" in card
    assert "ECB decision</b> · Reuters · 2025-03-12" in card


@pytest.mark.sqlite_only(reason="writes its run into the file tmp_path/verify.db, not at VERIFY_DB")
def test_a_sentence_the_judge_gave_a_stance_shows_that_stance_not_the_verdict(tmp_path):
    store = Store(tmp_path / "verify.db")
    run, _ = rate_run(store, stance="refutes", prompt_version="v2")  # SUPPORTED, yet this sentence refutes
    html = all_html(open_app(run.id))
    card = html[html.index('<div class="vf-sentence">'):]
    card = card[:card.index("</div></div>") + 12]
    assert ">refutes</span>" in card and "cited by the model" not in card and "SUPPORTED" not in card


@pytest.mark.sqlite_only(reason="writes its run into the file tmp_path/verify.db, not at VERIFY_DB")
def test_a_reviewer_cites_a_sentence_of_a_folded_passage_and_withdraws_it(tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFY_TIMEZONE", "Asia/Tokyo")
    store = Store(tmp_path / "verify.db")
    run, claim = rate_run(store)
    at = open_app(run.id, reviewer="Alice")
    folded = next(e for e in at.expander if e.label.startswith("Passage 2"))
    assert folded.proto.expanded is False  # folded, and reachable
    assert not [s for s in at.selectbox if s.key == f"citesel_{claim.id}_afp:0"]  # drawn once opened
    at = open_section(at, f"passage_open_{claim.id}_afp:0")
    at.selectbox(key=f"citesel_{claim.id}_afp:0").set_value(1)
    checked(at.button(key=f"cite_sup_{claim.id}_afp:0").click().run())
    [event] = store.review_citations(claim_id=claim.id)
    assert (event.reviewer, event.stance, event.text, event.origin) == ("Alice", "supports",
                                                                        "La baisse est d'un demi-point.", "retrieved")
    assert "reviewer: supports</span>La baisse est d'un demi-point." in all_html(at).replace("&#x27;", "'")
    assert f"Alice · {datetime.fromisoformat(event.created_at).astimezone(ZoneInfo('Asia/Tokyo')):%Y-%m-%d %H:%M} JST" \
        in all_html(at)  # the display zone, named
    checked(at.button(key=f"withdraw_{event.id}").click().run())
    assert review.citations_of(store, claim.id) == []
    assert "reviewer: supports" not in all_html(at)


@pytest.mark.sqlite_only(reason="writes its run into the file tmp_path/verify.db, not at VERIFY_DB")
def test_citing_without_a_reviewer_name_is_refused_and_writes_nothing(tmp_path):
    store = Store(tmp_path / "verify.db")
    run, claim = rate_run(store)
    at = open_app(run.id, reviewer=None)
    checked(at.button(key=f"cite_ref_{claim.id}_ecb:0").click().run())
    assert store.review_citations(claim_id=claim.id) == []
    assert any("reviewer name is required" in e.value for e in at.error)


def test_the_whole_stored_source_opens_from_the_library_and_a_sentence_of_it_is_cited(seeded_run):
    at = open_app(seeded_run.run.id, reviewer="Alice")
    claim_id = focus(at)
    evidence = seeded_run.store.get_evidence(claim_id)
    source_id = evidence[0].chunk.source.source_id
    settings = seeded_run.run.settings
    stored = VectorStore(Settings.from_env().vectorstore, settings.collection, settings.embedder).source_chunks(source_id)
    checked(at.toggle(key=f"whole_{claim_id}_{evidence[0].chunk.id}").set_value(True).run())
    assert any(f"Whole stored source {source_id}: {len(stored)} passage(s)" in c.value.replace("\\", "")
               for c in at.caption)
    last = stored[-1]
    at.selectbox(key=f"citesel_{claim_id}_lib_{last.id}").set_value(len(last.sentences) - 1)
    checked(at.button(key=f"cite_ref_{claim_id}_lib_{last.id}").click().run())
    [event] = seeded_run.store.review_citations(claim_id=claim_id)
    assert (event.origin, event.stance, event.text) == ("library", "refutes", last.sentences[-1].text)


def test_a_source_added_from_the_dashboard_is_ingested_and_the_claim_re_judged(seeded_run, tmp_path, monkeypatch):
    new_source = tmp_path / "kremlin-denial.md"
    new_source.write_text("---\ntitle: Kremlin denies the meeting\npublisher: TASS\npublished: 2025-03-15\n"
                          "language: en\n---\nThe Kremlin said Witkoff never met Putin in Moscow on Thursday.\n",
                          encoding="utf-8")
    at = open_app(seeded_run.run.id, reviewer="Alice")
    claim_id = focus(at)
    at = open_section(at, f"add_source_open_{claim_id}")  # drawn once opened
    at.text_input(key=f"addurl_{claim_id}").input(str(new_source))
    checked(at.button(key=f"addsrc_{claim_id}").click().run())
    assert any("1 added" in s.value for s in at.success), [e.value for e in at.error]
    # Re-judge with the current model (scripted): it now cites a sentence and says REFUTED.
    monkeypatch.setenv("VERIFY_MODEL", "fake")
    register_fake(scripted(judge_reply("REFUTED", ["S1"], allowed=[f"S{i}" for i in range(1, 60)])))
    checked(at.button(key=f"srcjudge_{claim_id}").click().run())
    verdict = seeded_run.store.get_verdicts(seeded_run.run.id)[claim_id]
    assert verdict.label.value == "REFUTED" and verdict.citations[0].stance == "refutes"  # judge v2: per sentence
    chunks = [ev.chunk.source.source_id for ev in seeded_run.store.get_evidence(claim_id)]
    assert "kremlin-denial" in chunks
    assert any("SUPPORTED → REFUTED" in s.value for s in at.success)
