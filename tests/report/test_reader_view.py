"""What a reader of a report is told (issue 11): one citation numbering, honest model signals, a rejected
claim led by the reviewer, a spreadsheet-ready CSV, and --no-bom on the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from verify.cli import app
from verify.model_signals import confidence_text, rationale_echo
from verify.models import (Article, Chunk, Citation, Claim, Evidence, Label, PromptRef, Run, RunSettings, Sentence,
                           SourceMeta, Span, Verdict)
from verify.report import build_report, render, render_report
from verify.report_common import citation_numbers
from verify.report_model import CitationRef
from verify.store import Store

CLAIM = "Le chômage a baissé d'un demi-point en 2024 selon l'Insee."
SENTENCES = ["Unemployment fell by a quarter of a percentage point in 2024.", "The statistics office published it.",
             "Economists expected a larger fall."]
PROMPT = PromptRef(id="judge_claim", version="v1", sha256="0" * 64)


def one_claim_run(store: Store, *, model: str = "openai:gpt-test", confidence: float | None = 0.7,
                  rationale: str = "S1 gives a quarter point, not half a point.", text_en: str = CLAIM,
                  cited: tuple[int, ...] = (0, 1, 2), run_id: str = "r-reader") -> str:
    """A French one-claim run (real SQLite) whose verdict cites sentences of one source."""
    text = f"Intro. {CLAIM} Outro."
    article = Article.from_text(text, title="Chômage", language="fr", source="test")
    store.save_article(article)
    settings = RunSettings(model=model, embedder="hash", top_k=3, collection="sources", extract_prompt="extract_claims/v1",
                           judge_prompt="judge_claim/v1", window_chars=4000, temperature=0.0)
    store.create_run(Run(id=run_id, article_id=article.id, created_at="2025-03-15T09:00:00+00:00", status="done",
                         settings=settings))
    start = text.index(CLAIM)
    claim = Claim(id=f"{run_id}-c0", run_id=run_id, article_id=article.id, index=0, text=CLAIM, text_en=text_en,
                  quote=CLAIM, span=Span(start=start, end=start + len(CLAIM)), anchor="exact")
    store.save_claims([claim])
    meta = SourceMeta(source_id="insee", title="Chômage au T4", publisher="Insee", published="2025-02-14",
                      url="https://insee.example/t4", language="en")
    sentences, at = [], 0
    for i, sentence in enumerate(SENTENCES):
        sentences.append(Sentence(index=i, text=sentence, start=at, end=at + len(sentence)))
        at += len(sentence) + 1
    chunk = Chunk(id="insee:0", source=meta, n=0, text=" ".join(SENTENCES), start=0, end=at - 1, sentences=sentences)
    citations = [Citation(chunk_id=chunk.id, source_id="insee", sentence_index=i, text=sentences[i].text,
                          start=sentences[i].start, end=sentences[i].end) for i in cited]
    verdict = Verdict(id=f"{claim.id}-v", run_id=run_id, claim_id=claim.id, status="ok", label=Label.REFUTED,
                      rationale=rationale, confidence=confidence, citations=citations, model=model, prompt=PROMPT)
    store.save_judgement(claim, [Evidence(chunk=chunk, rank=1, fused_score=0.42)], verdict)
    return run_id


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "reader.db")
    yield opened
    opened.close()


def text_of(store: Store, run_id: str, fmt: str) -> str:
    return render_report(store, run_id, fmt).decode("utf-8-sig")


# --- one citation numbering ------------------------------------------------------------------------------


def test_three_sentences_of_one_source_are_cited_1_2_3_not_1_1_1(store):
    """Reports numbered citations by source ([1][1][1] for three sentences of one source) while the dashboard
    numbered them by citation ([1][2][3]); both now number by citation, the source is S1 in the bibliography."""
    run_id = one_claim_run(store)
    markdown = text_of(store, run_id, "md")
    for number, sentence in enumerate(SENTENCES, start=1):
        assert f"- [{number}] “{sentence}” — Chômage au T4, Insee, 2025-02-14. <https://insee.example/t4> (S1)" in markdown
    assert "- S1. Chômage au T4" in markdown
    page = text_of(store, run_id, "html")
    assert [page.count(f'<span class="ref">[{n}]</span>') for n in (1, 2, 3)] == [1, 1, 1]
    verdict = store.get_verdicts(run_id)[f"{run_id}-c0"]
    assert citation_numbers(verdict) == [1, 2, 3]  # what the dashboard's claim card numbers them with


def test_the_same_sentence_cited_twice_keeps_one_number(store):
    run_id = one_claim_run(store, cited=(1,))
    verdict = store.get_verdicts(run_id)[f"{run_id}-c0"]
    again = verdict.citations[0].model_copy()
    assert citation_numbers([verdict.citations[0], again, *verdict.citations]) == [1, 1, 1]


# --- honest model signals --------------------------------------------------------------------------------


def test_the_demo_models_confidence_is_shown_as_none_not_0_00(store):
    run_id = one_claim_run(store, model="local:gemma-3-270m-q4_k_m (bundled, demo-grade)", confidence=0.0)
    assert "confidence —" in text_of(store, run_id, "md") and "0.00" not in text_of(store, run_id, "md")
    assert "confidence —" in text_of(store, run_id, "html")
    machine = json.loads(text_of(store, run_id, "json"))["claims"][0]["machine"]
    assert machine["confidence"] is None and machine["confidence_kind"] == "none"
    row = next(csv.DictReader(io.StringIO(text_of(store, run_id, "csv"))))
    assert row["machine_confidence"] == "" and row["confidence_source"] == "none given"
    assert confidence_text("local:gemma", "judge_claim/v1", 0.0) == "—"


def test_a_chat_models_confidence_is_labelled_as_its_own_estimate(store):
    run_id = one_claim_run(store, confidence=0.7)
    assert "(confidence 0.70, the model's own estimate)" in text_of(store, run_id, "md")
    row = next(csv.DictReader(io.StringIO(text_of(store, run_id, "csv"))))
    assert (row["machine_confidence"], row["confidence_source"]) == ("0.70", "model's own estimate")
    assert confidence_text("openai:gpt-test", "judge_claim/v1", None) == "—"


@pytest.mark.parametrize("rationale, echo", [
    (CLAIM[:40], "the claim"),  # a cut-off copy of the claim
    ("The claim says that " + CLAIM, "the claim"),
    ("You are a careful fact-checker. You decide whether numbered evidence", "the prompt"),
    ("S1 gives a quarter point, not half a point.", ""),
])
def test_rationales_that_repeat_the_claim_or_prompt_are_flagged(store, rationale, echo):
    run_id = one_claim_run(store, rationale=rationale)
    warning = f"The rationale repeats {echo}: it explains nothing"
    for fmt in ("md", "html", "csv"):
        assert (warning in text_of(store, run_id, fmt)) == bool(echo), fmt
    assert rationale_echo(rationale, [CLAIM], "judge_claim/v1") == echo


# --- CSV for spreadsheets --------------------------------------------------------------------------------


def test_csv_has_one_row_per_claim_with_citations_joined_and_no_french_in_the_english_column(store):
    run_id = one_claim_run(store, text_en=CLAIM)  # extraction copies an untranslated claim into text_en
    data = render_report(store, run_id, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["claim_language"], row["claim"], row["claim_en"]) == ("fr", CLAIM, "")
    assert row["machine_citations"].splitlines() == [f"[{n}] “{s}” (S1)" for n, s in enumerate(SENTENCES, start=1)]
    assert row["sources"] == "S1 Chômage au T4, Insee, 2025-02-14"
    translated = one_claim_run(store, text_en="Unemployment fell by half a point in 2024.", run_id="r-translated")
    row = next(csv.DictReader(io.StringIO(text_of(store, translated, "csv"))))
    assert row["claim_en"] == "Unemployment fell by half a point in 2024."  # a real English form stays


def test_cli_writes_a_bom_by_default_and_drops_it_with_no_bom(tmp_path):
    db = tmp_path / "cli.db"
    opened = Store(db)
    run_id = one_claim_run(opened)
    opened.close()
    runner = CliRunner()
    for flags, bom in (([], True), (["--bom"], True), (["--no-bom"], False)):
        out = tmp_path / "r.csv"
        result = runner.invoke(app, ["report", run_id, "-f", "csv", "--db", str(db), "-o", str(out), *flags])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"\xef\xbb\xbf") == bom, flags


# --- a rejected claim ------------------------------------------------------------------------------------


def _with_reviewer_citation(seed_report):
    """The seed report with a reviewer citation on the rejected claim 2 (engineer B's review events fill
    these in from the store; the renderers are checked here on the report model)."""
    rejected = seed_report.claims[1]
    cite = CitationRef(citation_number=2, number=9, text="Kyiv's General Staff denied any encirclement.",
                       source_id="kyiv", chunk_id="kyiv:0", sentence_index=0, start=0, end=44,
                       title="Kyiv denies encirclement", publisher="Ukrinform", stance="refutes")
    review = rejected.review.model_copy(update={"citations": [cite]})
    claims = list(seed_report.claims)
    claims[1] = rejected.model_copy(update={"review": review})
    return seed_report.model_copy(update={"claims": claims})


def test_a_rejected_claim_leads_with_the_reviewer_and_marks_the_machines_citations_rejected(seed_report):
    report = _with_reviewer_citation(seed_report)
    page = render(report, "html").decode()
    claim = page[page.index('id="claim-2"'):page.index('id="claim-3"')]
    assert "badge v-REFUTED" not in claim  # the machine's label is never printed as the claim's
    assert "machine said ✗ REFUTED" in claim and "rejected by the reviewer" in claim
    assert '<div class="decision reviewer-first">' in claim
    assert '<ol class="cites rejected">' in claim and '<span class="tag-rejected">rejected</span>' in claim
    assert "Machine citations (rejected by the reviewer)" in claim
    assert '<span class="stance">refutes</span>' in claim and "Kyiv&#39;s General Staff denied" in claim
    assert "no source quotes Kyiv&#39;s military" in claim  # the reviewer's note
    markdown = render(report, "md").decode()
    claim = markdown[markdown.index("## Claim 2:"):markdown.index("## Claim 3:")]
    assert claim.index("**Reviewer decision:**") < claim.index("**Reviewer note:**") < claim.index("machine said")
    assert "**Reviewer citations**" in claim and "- [2] *refutes* “Kyiv's General Staff denied any" in claim
    assert "- [1] *refutes* *rejected* “Ukraine's General Staff" in claim  # the sentence's own stance (judge v2)
    row = list(csv.DictReader(io.StringIO(render(report, "csv").decode("utf-8-sig"))))[1]
    assert row["reviewer_citations"] == "[2] (refutes) “Kyiv's General Staff denied any encirclement.” (S9)"
    assert row["machine_citations"].startswith("[1] (refutes) (rejected) “Ukraine's General Staff")


def test_reviewer_citations_from_review_events_reach_every_format(reviewed_run):
    """A sentence the reviewer cites (verify.review.cite, stored as a review event) is in the report with its
    stance, numbered after the machine's citations, its source in the bibliography."""
    from verify.review import cite

    store, run_id = reviewed_run
    rejected = store.get_claims(run_id)[1]
    machine = store.get_verdicts(run_id)[rejected.id]
    cited_chunks = {c.chunk_id for c in machine.citations}
    passage = next(ev.chunk for ev in store.get_evidence(rejected.id) if ev.chunk.id not in cited_chunks)
    sentence = passage.sentences[0]
    cite(store, run_id=run_id, claim_id=rejected.id, reviewer="Bob Diallo", stance="refutes", chunk=passage,
         sentence=sentence)
    report = build_report(store, run_id)
    entry = report.claims[1]
    [ref] = entry.review.citations
    assert (ref.citation_number, ref.stance, ref.text, ref.rejected) == (len(machine.citations) + 1, "refutes",
                                                                         sentence.text, False)
    assert ref.number in {s.number for s in report.bibliography}
    assert all(c.rejected for c in entry.citations)
    markdown = render(report, "md").decode()
    assert f"- [{ref.citation_number}] *refutes* “{sentence.text}”" in markdown.replace("\\", "")
    assert sentence.text.replace("'", "&#39;") in render(report, "html").decode()
