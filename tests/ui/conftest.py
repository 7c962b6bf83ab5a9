"""Helpers for the dashboard tests: drive ui/app.py headless with AppTest against a real store."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module
from streamlit.runtime.media_file_manager import MediaFileManager

from verify.models import (Article, Chunk, Citation, Claim, Evidence, PromptRef, Run, RunSettings, Sentence,
                           SourceMeta, Span, Verdict, utcnow)
from verify.store import Store

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
HOSTILE = "<script>alert('x')</script> and <img src=x onerror=alert(1)>"
SETTINGS = RunSettings(model="fake-model", embedder="hash", top_k=5, collection="sources",
                       extract_prompt="extract_claims/v1", judge_prompt="judge_claim/v1", window_chars=4000,
                       temperature=0.0)  # the settings of the runs the dashboard tests build by hand


def checked(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(run_id: str | None = None, reviewer: str | None = "Alice") -> AppTest:
    """A fresh browser session: optionally on a run's page (?run=...) with a reviewer name typed in."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    if run_id:
        at.query_params["run"] = run_id
    if reviewer:
        at.session_state["reviewer"] = reviewer
    return checked(at.run())


def focus(at: AppTest) -> str:
    return at.selectbox(key="claim_select").value


def open_section(at: AppTest, key: str) -> AppTest:
    """Open a section drawn only while open (an expander with a key, as a click on its title would)."""
    at.session_state[key] = True
    return checked(at.run())


def page_run(at: AppTest) -> AppTest:
    """A whole-page run. A decision reruns only the review pane and the sidebar's counts (st.fragment); a
    browser keeps the rest of the page, but AppTest's tree then holds only what reran."""
    return checked(at.run())


def decide(at: AppTest, action: str = "Approve", label: str | None = None, note: str = "") -> AppTest:
    """Fill the decision form of the focused claim and submit it."""
    cid = focus(at)
    checked(at.radio(key=f"act_{cid}").set_value(action).run())  # nothing is preselected
    if label:
        checked(at.radio(key=f"label_{cid}").set_value(label).run())  # Submit waits for the label
    if note:
        at.text_input(key=f"note_{cid}").input(note)
    return checked(at.button(key=f"submit_{cid}").click().run())


def all_html(at: AppTest) -> str:
    """Every st.html body except the app's own static scripts (scroll, keys: checked on their own)."""
    return "\n".join(h.value for h in at.get("html") if not h.value.startswith(("<script>/* focus",
                                                                                 "<script>/* vf-keys")))


def scripts(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html") if h.value.startswith("<script>/* focus")]


def all_markdown(at: AppTest) -> str:
    """The Markdown source of every text element, as the app sent it (escaped)."""
    texts = [m.value for kind in (at.title, at.subheader, at.markdown, at.caption) for m in kind]
    texts += [a.value for kind in (at.warning, at.error, at.info, at.success) for a in kind]
    return "\n".join(texts)


def visible(at: AppTest) -> str:
    """Roughly what a reader sees: the Markdown with backslash escapes removed, then the text of the app's
    HTML blocks (the claim card is drawn as HTML: ui/claim_panel.py) without tags or entities."""
    shown = re.sub(r"\\([^\w\s])", r"\1", all_markdown(at))
    blocks = [h.value for h in at.get("html") if not h.value.startswith(("<script>", "<style>"))]
    return "\n".join([shown, *(html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks)])


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """Access to the files the app hands to st.download_button.

    AppTest keeps them in an in-memory media manager it replaces on each run; this keeps the latest
    one so a test can generate a deferred download exactly as a browser click does.
    """
    seen: dict = {}

    class Recording(MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            seen["manager"], seen["storage"] = self, storage

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return seen


def downloaded(at: AppTest, seen: dict) -> bytes:
    """The bytes a click on the report download button yields."""
    proto = at.download_button(key="download_report").proto
    url = seen["manager"].execute_deferred(proto.deferred_file_id) if proto.deferred_file_id else proto.url
    return seen["storage"].get_file(Path(url).name).content


def hostile_run(store: Store, label: str = "SUPPORTED", status: str = "ok") -> tuple[Run, Claim]:
    """A one-claim run whose article, claim, source and rationale all carry markup that must not run."""
    text = f"Intro {HOSTILE}. The tower is 330 metres tall. Outro."
    article = Article.from_text(text, title=f"Title {HOSTILE}", language="en", source="test")
    store.save_article(article)
    run = Run(id="r-hostile", article_id=article.id, created_at=utcnow(), status="done", settings=SETTINGS)
    store.create_run(run)
    quote = "The tower is 330 metres tall."
    start = text.index(quote)
    claim = Claim(id="c-hostile", run_id=run.id, article_id=article.id, index=0, text=f"Claim {HOSTILE}",
                  text_en=f"English {HOSTILE}", quote=quote, span=Span(start=start, end=start + len(quote)),
                  anchor="exact")
    store.save_claims([claim])
    sentence = f"The tower {HOSTILE} is 330 metres tall."
    source_text = f"Before. {sentence} After."
    s0 = source_text.index(sentence)
    meta = SourceMeta(source_id="evil", title=f"Source {HOSTILE}", url="javascript:alert(1)",
                      publisher=f"Outlet {HOSTILE}", published="2025-01-01")
    chunk = Chunk(id="evil:0", source=meta, n=0, text=source_text, start=0, end=len(source_text),
                  sentences=[Sentence(index=0, text=sentence, start=s0, end=s0 + len(sentence))])
    citation = Citation(chunk_id=chunk.id, source_id="evil", sentence_index=0, text=sentence, start=s0,
                        end=s0 + len(sentence))
    ok = status == "ok"
    verdict = Verdict(id="v-hostile", run_id=run.id, claim_id=claim.id, status=status, label=label if ok else None,
                      rationale=f"Rationale {HOSTILE}", confidence=0.9 if ok else None,
                      citations=[citation] if ok else [], model="fake-model",
                      prompt=PromptRef(id="judge_claim", version="v1", sha256="0" * 64),
                      error="" if ok else f"invalid JSON {HOSTILE}", raw_output=f"raw {HOSTILE}")
    store.save_judgement(claim, [Evidence(chunk=chunk, rank=1, fused_score=0.5)], verdict)
    return run, claim
