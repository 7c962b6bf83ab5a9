"""Evidence-first claim card: each evidence sentence with its own stance, what differs from the claim,
and where it comes from; every retrieved passage (the cited ones open, the others folded but one click
away) with a way to cite any of its sentences; the whole stored source on request; a source added from
the dashboard and the claim re-judged on request.
Over 300 lines: one screen (sentences with stances and differences, passages, reviewer citation controls, whole source, add source).

A sentence's badge is that sentence's stance (supports / refutes / unrelated, as judged), never the
claim's verdict. Where the model gave no per-sentence stance the badge says "cited by the model".
Reviewer citations are review events (verify/review.py: cite / withdraw), read fresh on every run of
the card so a citation shows the moment it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import blind, render, state
from ui.activity import local_time
from ui.decision import reviewer
from ui.render import esc, md
from verify.config import Settings
from verify.errors import VerifyError
from verify.store import location
from verify.evidence_diff import Difference, differences
from verify.models import Chunk, Citation, Claim, Evidence, ReviewCitation, Verdict
from verify.report_common import citation_numbers
from verify import review

# Stance colours reuse the label palette: supports = SUPPORTED's, refutes = REFUTED's, the rest neutral.
STANCE_LABEL = {"supports": "SUPPORTED", "refutes": "REFUTED", "unrelated": "PENDING", "cited": "NOT_ENOUGH_INFO"}
STANCE_WORDS = {"supports": "supports", "refutes": "refutes", "unrelated": "unrelated", "cited": "cited by the model"}
CARD_STYLE = """<style>
.vf-stance{font-size:0.72rem;font-weight:700;padding:0 5px;border-radius:3px;color:#fff;white-space:nowrap;
  font-family:sans-serif;margin-right:4px}
.vf-sentence{font-size:0.92rem;border-left:3px solid #bbb;padding:4px 8px;margin:6px 0}
.vf-diff{background:#ffe08a;border-bottom:2px dashed #8a5a00;padding:0 1px}
.vf-diffs{font-size:0.8rem;color:#6b4a00;margin:2px 0 0 0;padding-left:18px}
.vf-cited{background:#eef3fb;border-bottom:2px solid #0072b2;padding:0 1px}
.vf-rcited{background:#fff4cc;border-bottom:2px solid #e69f00;padding:0 1px}
.vf-sn{font-size:0.68rem;color:#57606a;font-family:sans-serif;vertical-align:super;margin-right:1px}
.vf-claim-h{margin:0 0 4px 0;padding:0}
.vf-claim-text{margin:6px 0 2px 0}
.vf-cap{font-size:0.875rem;color:rgba(49,51,63,0.65);margin:2px 0}
.vf-rationale{border-left:3px solid #ccc;margin:4px 0;padding:2px 10px;color:#333}
</style>"""


# --- pure HTML ------------------------------------------------------------------------------------------


def sentence_stance(citation: Citation) -> str:
    """The sentence's own stance as judged ('supports' / 'refutes' / 'unrelated'), or 'cited' when the
    model gave none (the claim-level judge cites sentences without a stance for each)."""
    stance = str(getattr(citation, "stance", "") or "").lower()
    return stance if stance in ("supports", "refutes", "unrelated") else "cited"


def stance_badge(stance: str, prefix: str = "") -> str:
    colour = render.COLOURS.get(STANCE_LABEL.get(stance, "PENDING"), render.COLOURS["PENDING"])
    words = f"{prefix}{STANCE_WORDS.get(stance, stance)}"
    return f'<span class="vf-stance" style="background:{colour.ink}" title="this sentence\'s stance">{esc(words)}</span>'


def marked(text: str, spans: list[tuple[int, int]], css: str = "vf-diff") -> str:
    """`text` escaped, with each span wrapped in <mark class=css> (overlaps clipped, order kept)."""
    out, cursor = [], 0
    for start, end in sorted(spans):
        start = max(start, cursor)
        if end <= start:
            continue
        out += [esc(text[cursor:start]), f'<mark class="{css}">{esc(text[start:end])}</mark>']
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def differences_html(diffs: list[Difference]) -> str:
    if not diffs:
        return ""
    items = "".join(f"<li>≠ {esc(d.detail)}</li>" for d in diffs)
    return f'<ul class="vf-diffs" title="figures, dates and names that differ from the claim">{items}</ul>'


def source_html(meta) -> str:
    return render.source_line(meta.title, meta.publisher, meta.published, meta.url or meta.path)


def claim_form(claim: Claim, meta) -> str:
    """The claim's wording to compare with a source sentence: its English form for an English source (a
    French claim's "Poutine" is the English source's "Putin"), else the claim as written."""
    english = (meta.language or "").lower().startswith("en") and claim.text_en and claim.text_en != claim.text
    return claim.text_en if english else claim.text


def evidence_sentence_html(number: int | None, stance: str, text: str, claim: Claim, meta, prefix: str = "",
                           who: str = "") -> str:
    """One evidence sentence: its number, its own stance, its text with what differs from the claim
    marked, the differences in words, and its source (title · outlet · date · link)."""
    diffs = differences(claim_form(claim, meta), text)
    spans = [span for d in diffs for span in d.sentence_spans]
    ref = f"<b>[{number}]</b> " if number is not None else ""
    by = f'<div class="vf-src">{esc(who)}</div>' if who else ""
    return (f'<div class="vf-sentence">{ref}{stance_badge(stance, prefix)}{marked(text, spans)}'
            f"{differences_html(diffs)}{source_html(meta)}{by}</div>")


def passage_html(chunk: Chunk, cited: dict[int, int], reviewer_cited: dict[int, str]) -> str:
    """A whole passage, every sentence numbered (S1, S2 ... as the cite selector lists them), the
    model's cited sentences and the reviewer's highlighted."""
    out, cursor = [], 0
    for sentence in chunk.sentences:
        where = render.locate(chunk.text, chunk.start, sentence.start, sentence.end, sentence.text)
        if where is None or where[0] < cursor:
            continue
        start, end = where
        out.append(esc(chunk.text[cursor:start]))
        tag = f'<span class="vf-sn">S{sentence.index + 1}</span>'
        if sentence.index in reviewer_cited:
            out.append(f'{tag}<mark class="vf-rcited" title="reviewer: {esc(reviewer_cited[sentence.index])}">'
                       f"{esc(chunk.text[start:end])}</mark>")
        elif sentence.index in cited:
            out.append(f'{tag}<mark class="vf-cited" title="cited by the model [{cited[sentence.index]}]">'
                       f"<b>[{cited[sentence.index]}]</b> {esc(chunk.text[start:end])}</mark>")
        else:
            out.append(tag + esc(chunk.text[start:end]))
        cursor = end
    out.append(esc(chunk.text[cursor:]))
    return f'{source_html(chunk.source)}<div class="vf-passage">{"".join(out)}</div>'


# --- the card -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    run_id: str
    claim: Claim
    verdict: Verdict | None
    evidence: list[Evidence]
    citations: list[ReviewCitation]  # the reviewer's, in force

    @property
    def key(self) -> str:
        return self.claim.id


def card_of(run_id: str, claim: Claim, verdict: Verdict | None, evidence: list[Evidence]) -> Card:
    cited = review.citations_of(state.store(), claim.id)
    cited = blind.citations(state.store(), state.db_path(), run_id, claim.id, cited)  # blind: only one's own
    return Card(run_id, claim, verdict, evidence, cited)


def render_card(run_id: str, claim: Claim, verdict: Verdict | None, evidence: list[Evidence]) -> None:
    """The evidence sentences and the reviewer citations: read before deciding, above the decision form.
    (Their stylesheet, CARD_STYLE, is drawn with the page's: ui/app.py.)"""
    card = card_of(run_id, claim, verdict, evidence)
    render_evidence_sentences(card)
    render_reviewer_citations(card)


def render_sources(run_id: str, claim: Claim, verdict: Verdict | None, evidence: list[Evidence]) -> None:
    """Every retrieved passage and adding a source: below the decision form, which stays near the claim."""
    card = card_of(run_id, claim, verdict, evidence)
    render_passages(card)
    render_add_source(card)


def render_evidence_sentences(card: Card) -> None:
    """One st.html block (heading and every cited sentence): fewer elements, less browser work per claim."""
    cited = card.verdict.citations if card.verdict and card.verdict.status == "ok" else []
    heading = f"<p><b>Evidence cited by the model ({len(cited)})</b></p>"
    if not cited:
        st.html(heading + '<p class="vf-cap">The model cited no sentence. Cite one from the passages below if one '
                "bears on the claim.</p>")
        return
    metas = {ev.chunk.id: ev.chunk.source for ev in card.evidence}
    st.html(heading + "".join(
        evidence_sentence_html(number, sentence_stance(citation), citation.text, card.claim,
                               metas.get(citation.chunk_id) or _unknown_source(citation.source_id))
        for number, citation in zip(citation_numbers(cited), cited)))


def render_reviewer_citations(card: Card) -> None:
    if not card.citations:
        return
    st.markdown(f"**Cited by reviewers ({len(card.citations)})**")
    for citation in card.citations:
        meta = citation.source or _unknown_source(citation.source_id)
        who = f"{citation.reviewer} · {local_time(citation.created_at)}"
        st.html(evidence_sentence_html(None, citation.stance or "cited", citation.text, card.claim, meta,
                                       prefix="reviewer: ", who=who))
        st.button("Withdraw this citation", key=f"withdraw_{citation.id}", on_click=_withdraw, args=(citation,),
                  help="Take it back (the log keeps it, marked withdrawn)")


def render_passages(card: Card) -> None:
    """Every retrieved passage: those the model cited open, the others folded (one click away)."""
    if not card.evidence:
        st.caption("No passage was retrieved for this claim. Add a source below.")
        return
    cited = card.verdict.citations if card.verdict and card.verdict.status == "ok" else []
    numbers = dict(zip(((c.chunk_id, c.sentence_index) for c in cited), citation_numbers(cited)))
    mine = {(c.chunk_id, c.sentence_index): c.stance or "" for c in card.citations}
    cited_chunks = {c.chunk_id for c in cited} | {c.chunk_id for c in card.citations}
    ordered = sorted(card.evidence, key=lambda ev: (ev.chunk.id not in cited_chunks, ev.rank))
    st.markdown(f"**Retrieved passages ({len(ordered)})** · mark any sentence as supporting or refuting")
    for ev in ordered:
        chunk = ev.chunk
        title = chunk.source.title or chunk.source.source_id
        flag = " · cited" if chunk.id in cited_chunks else ""
        # A folded passage is drawn once opened (on_change="rerun" makes .open known): folded ones cost
        # every decide + next its passage, cite controls and toggle in the browser.
        box = st.expander(f"Passage {ev.rank} · {title}{flag}", expanded=chunk.id in cited_chunks,
                          key=f"passage_open_{card.key}_{chunk.id}", on_change="rerun")
        if not box.open:
            continue
        with box:
            st.html(passage_html(chunk, {i: n for (cid, i), n in numbers.items() if cid == chunk.id},
                                 {i: s for (cid, i), s in mine.items() if cid == chunk.id}))
            render_cite_controls(card, chunk, origin="retrieved")
            if st.toggle("Open the whole source", key=f"whole_{card.key}_{chunk.id}"):
                render_whole_source(card, chunk.source.source_id)


def render_cite_controls(card: Card, chunk: Chunk, origin: str, key: str = "") -> None:
    """A sentence of `chunk` and two buttons: cite it as supporting or as refuting the claim."""
    key = f"{card.key}_{key or chunk.id}"
    if not chunk.sentences:
        return
    # The selector gets the card's full width (a sentence must be readable); the buttons share a row below
    # it, wide enough for their words at 1440 px and on a phone.
    st.selectbox("Sentence to cite", range(len(chunk.sentences)), key=f"citesel_{key}",
                 format_func=lambda i: f"S{chunk.sentences[i].index + 1}: {_short(chunk.sentences[i].text)}")
    # The callback reads the selection when the button is clicked, not when it was drawn: a choice made
    # just before the click counts even if no rerun came in between.
    supports, refutes = st.columns(2)
    supports.button("Supports", key=f"cite_sup_{key}", on_click=_cite,
                    args=(card, chunk, f"citesel_{key}", "supports", origin))
    refutes.button("Refutes", key=f"cite_ref_{key}", on_click=_cite,
                   args=(card, chunk, f"citesel_{key}", "refutes", origin))


def render_whole_source(card: Card, source_id: str) -> None:
    """The stored source as the library holds it (every passage, in order), read-only from Chroma."""
    try:
        chunks = library_chunks(state.db_path(), card.run_id, source_id)
    except VerifyError as exc:
        st.error(md(str(exc)))
        return
    st.caption(f"Whole stored source {md(source_id)}: {len(chunks)} passage(s)")
    for chunk in chunks:
        st.html(passage_html(chunk, {}, {c.sentence_index: c.stance or "" for c in card.citations
                                         if c.chunk_id == chunk.id}))
        render_cite_controls(card, chunk, origin="library", key=f"lib_{chunk.id}")


def render_add_source(card: Card) -> None:
    """Add a file or a URL to the source library (ingested like `verify ingest`), then re-judge on request."""
    box = st.expander("Add a source to the library", key=f"add_source_open_{card.key}", on_change="rerun")
    if not box.open:  # drawn once opened, as the folded passages
        return
    with box:
        upload = st.file_uploader("File (txt, md, html, pdf)", key=f"addfile_{card.key}")
        url = st.text_input("or a URL (or a file path on the dashboard's machine)", key=f"addurl_{card.key}",
                            placeholder="https://...")
        if st.button("Add to the library", key=f"addsrc_{card.key}"):
            try:
                if not (upload or url.strip()):
                    raise VerifyError("choose a file or type a URL first")
                location = _save_upload(upload) if upload else url.strip()
                with st.spinner("Reading, splitting and embedding the source..."):
                    outcome = add_source(card.run_id, location)
                st.success(md(f"Library: {outcome}. Re-judge the claim to use it."))
            except (VerifyError, OSError) as exc:
                st.error(md(f"error: {exc}"))
        if st.button("Re-judge this claim now", key=f"srcjudge_{card.key}",
                     help="Retrieve evidence again from the library as it is now and judge with the current model"):
            rejudge(card)


# --- actions --------------------------------------------------------------------------------------------


def _cite(card: Card, chunk: Chunk, picked: str, stance: str, origin: str) -> None:
    sentence = chunk.sentences[st.session_state.get(picked) or 0]
    try:
        review.cite(state.writer(), run_id=card.run_id, claim_id=card.claim.id, reviewer=reviewer(), stance=stance,
                    chunk=chunk, sentence=sentence, origin=origin)
        st.session_state["cite_flash"] = ("ok", f"Cited S{sentence.index + 1} as {stance}: “{_short(sentence.text)}”")
    except VerifyError as exc:
        st.session_state["cite_flash"] = ("error", str(exc))


def _withdraw(citation: ReviewCitation) -> None:
    try:
        review.withdraw(state.writer(), citation=citation, reviewer=reviewer())
        st.session_state["cite_flash"] = ("ok", f"Withdrew the citation “{_short(citation.text)}”")
    except VerifyError as exc:
        st.session_state["cite_flash"] = ("error", str(exc))


def render_flash() -> None:
    """The outcome of the last cite / withdraw, shown once at the top of the card."""
    flash = st.session_state.pop("cite_flash", None)
    if flash:
        (st.success if flash[0] == "ok" else st.error)(md(flash[1] if flash[0] == "ok" else f"error: {flash[1]}"))


def _run_settings(run_id: str):
    """Settings for the run's library: this process's configuration, with the run's collection and embedder
    (another embedder could not read the library the run retrieved from)."""
    from verify.config import Settings

    run = state.store().get_run(run_id)
    return Settings.from_env(collection=run.settings.collection, embedder=run.settings.embedder)


def _library(run_id: str):
    settings = _run_settings(run_id)
    location = settings.vectorstore
    if isinstance(location, Path):  # a folder; a Chroma server's URL (a str) is opened as it is
        if not (location / "chroma.sqlite3").is_file():
            raise VerifyError(f"no source library at {location}: start the dashboard where `verify run` "
                              "ran, or set VERIFY_VECTORSTORE")
        location = location.resolve()
    return settings, _open_library(str(location), settings.collection, settings.embedder)


@st.cache_resource(show_spinner=False)
def _open_library(path: str, collection: str, embedder: str):
    from verify.vectorstore import VectorStore

    return VectorStore(path, collection, embedder)


def library_chunks(db: str, run_id: str, source_id: str) -> list[Chunk]:
    _, vstore = _library(run_id)
    chunks = vstore.source_chunks(source_id)
    if not chunks:
        raise VerifyError(f"source {source_id} is no longer in the library (it may have been removed or rebuilt)")
    return chunks


def add_source(run_id: str, location: str) -> str:
    from verify.embed import build_embedder
    from verify.ingest import ingest

    settings, vstore = _library(run_id)
    report = ingest([location], vstore, build_embedder(settings.embedder), max_bytes=settings.max_input_bytes,
                    timeout_s=settings.url_timeout_s)
    if report.failed:
        raise VerifyError(f"{report.failed[0][0]} was not added: {report.failed[0][1]}")
    return report.summary()


def rejudge(card: Card) -> None:
    from verify.pipeline import rejudge_claim

    before = card.verdict.label.value if card.verdict and card.verdict.label else "no verdict"
    try:
        with st.spinner("Retrieving and judging this claim again..."):
            judged = rejudge_claim(_run_settings(card.run_id), card.run_id, card.claim.id, reviewer(),
                                   store=state.writer())
    except VerifyError as exc:
        st.error(md(f"error: {exc}"))
        return
    after = judged.verdict.label.value if judged.verdict.label else "failed"
    st.session_state["cite_flash"] = ("ok", f"Re-judged with {judged.verdict.model}: {before} → {after} "
                                            f"({len(judged.evidence)} passages); the previous verdict is kept in the claim's history")
    st.rerun()


def _save_upload(upload) -> str:
    """An uploaded file is kept beside the store file (ingest identifies a source by its location); with a
    PostgreSQL store, in the cache folder of the machine serving the dashboard."""
    db = state.db_path()
    home = Settings.from_env().cache_dir if location.is_postgres(db) else Path(db).parent
    folder = home / "uploaded-sources"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(upload.name).name
    target.write_bytes(upload.getvalue())
    return str(target)


def _unknown_source(source_id: str):
    from verify.models import SourceMeta

    return SourceMeta(source_id=source_id, title=source_id)


def _short(text: str, n: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"
