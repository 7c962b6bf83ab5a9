"""Runs page: every run in the store, finished runs first, with its article's title, review progress,
status and verdict counts. A click on a row opens the run (the picker below does the same from the
keyboard or on a phone). Below, "Model vs reviewers": per machine model, how often the reviewers agreed
with its verdicts (verify/model_agreement.py).

A blind second reviewer (verify/team.py) sees, on the claims they review blind, only their own blind
decisions: the "reviewed" count and the model figures are computed for the viewer, so neither tells
them how many claims the first reviewer decided, nor how."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from ui import activity, blind, state
from ui.claims_table import CLICKS, clicked_row
from ui.render import md
from verify import model_agreement as ma
from verify import team
from verify.models import Article
from verify.review import decisions

TABLE_KEY = "runs_table"
SEEN_KEY = "runs_table_seen"
STATUS_WORDS = {"done": "finished", "failed": "failed: claims missing", "running": "in progress or interrupted"}
STATUS_ORDER = {"done": 0, "failed": 1, "running": 2}  # finished runs first: a run still going is never the default
VERDICT_COLUMNS = {"SUPPORTED": "✓", "REFUTED": "✗", "NOT_ENOUGH_INFO": "?", "failed": "!"}
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(\S.*?)\s*#*\s*$", re.MULTILINE)


def store_version() -> tuple:
    """Changes with any review event, verdict, run, assignment or blind decision: the pages' cache key."""
    store = state.store()
    return tuple(store.store_version()), store.team_version()


@st.cache_data(show_spinner=False, max_entries=16)
def blind_runs(path: str, version: tuple, who: str) -> dict[str, dict]:
    """Per run, the claims `who` reviews blind, each with their own blind decision (or None)."""
    store = state._open_store(path)
    found = {run_id: team.blind_claims(store, run_id, who) for run_id in store.assigned_run_ids()} if who else {}
    return {run_id: claims for run_id, claims in found.items() if claims}


def viewer_blind() -> dict[str, dict]:
    version = store_version()
    return blind_runs(state.db_path(), version, blind.viewer()) if version[1][0] else {}


def display_title(article: Article) -> str:
    """The article's own title (document metadata, or a short first line that reads as a headline); else
    its first Markdown heading; else its file name. Never the first sentence cut off: the ingester makes
    such a "title" (ending in …) for text without one, and it reads as a claim, not a name."""
    title = article.title.strip()
    cut_from_text = title.endswith("…") and title[:-1].rstrip() in article.text[:2000]
    if title and not cut_from_text:
        return title
    heading = HEADING.search(article.text)
    if heading:
        return heading.group(1)
    name = Path(article.source).name if article.source else ""
    return name or title or "untitled article"


@st.cache_data(show_spinner=False, max_entries=8)
def run_rows(path: str, version: tuple, hidden: dict[str, dict] | None = None) -> list[dict]:
    """One plain dict per run, finished first then newest first; text stays text (st.dataframe never
    renders HTML). `hidden`: per run, the claims the viewer reviews blind with their own blind decision,
    counted in place of the first reviewer's."""
    store = state._open_store(path)
    counts = store.verdict_counts()
    out = []
    for run in store.list_runs():  # newest first; the sort below is stable
        article = store.get_article(run.article_id)
        decided = team.blind_view(decisions(store, run.id), (hidden or {}).get(run.id, {}))
        reviewed = sum(1 for d in decided.values() if d.reviewed)
        per_label = counts.get(run.id, {})
        out.append({
            "article": display_title(article), "reviewed": f"{reviewed} / {len(decided)}",
            "progress": reviewed / len(decided) if decided else 0.0, "status": STATUS_WORDS.get(run.status, run.status),
            **{symbol: per_label.get(label, 0) for label, symbol in VERDICT_COLUMNS.items()},
            "date": activity.local_time(run.created_at), "language": article.language, "model": run.settings.model,
            "run": run.id, "_order": STATUS_ORDER.get(run.status, 3),
        })
    out.sort(key=lambda row: row["_order"])
    return [{k: v for k, v in row.items() if k != "_order"} for row in out]


def open_run(run_id: str) -> None:
    st.session_state["run_id"] = run_id
    st.query_params["run"] = run_id


def chosen_run(rows: list[dict]) -> str | None:
    position = clicked_row(TABLE_KEY, SEEN_KEY, len(rows))
    return None if position is None else rows[position]["run"]


def open_selected(rows: list[dict]) -> None:
    """on_select callback: a click opens the run in the very next script run."""
    run_id = chosen_run(rows)
    if run_id:
        open_run(run_id)


COLUMNS = {
    "article": st.column_config.TextColumn("article", width=300),
    "reviewed": st.column_config.TextColumn("reviewed", width="small"),
    "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0, format="percent",
                                                width="small"),
    "status": st.column_config.TextColumn("status", width=165),
    "✓": st.column_config.NumberColumn("✓", help="machine verdicts SUPPORTED", width=40),
    "✗": st.column_config.NumberColumn("✗", help="machine verdicts REFUTED", width=40),
    "?": st.column_config.NumberColumn("?", help="machine verdicts NOT_ENOUGH_INFO", width=40),
    "!": st.column_config.NumberColumn("!", help="verdicts that FAILED (no label)", width=40),
    "date": st.column_config.TextColumn("started", width=150),
    "language": st.column_config.TextColumn("lang", width=50),
    "model": st.column_config.TextColumn("model", width="small"),
    "run": st.column_config.TextColumn("run id", width="small"),
}


def render() -> None:
    st.title("Runs")
    st.caption(f"Store: {state.db_path()}")
    hidden = viewer_blind()
    rows = run_rows(state.db_path(), store_version(), hidden or None)
    if not rows:
        st.info("No runs yet. Verify an article first, for example: "
                "`verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources`, "
                "then reload this page.")
        return
    st.caption("Click a run to open it. Finished runs come first. " + activity.zone_note())
    st.dataframe(rows, hide_index=True, width="stretch", key=TABLE_KEY, column_config=COLUMNS,
                 on_select=lambda: open_selected(rows), selection_mode=CLICKS,
                 height=min(38 + 35 * len(rows), 560))
    run_id = chosen_run(rows)  # a selection made without a click (kept, or set by a test) opens here
    if run_id:
        open_run(run_id)
        st.rerun()
    labels = {row["run"]: f"{row['article'][:70]} · {row['reviewed']} reviewed · {row['status']}" for row in rows}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Or pick a run", list(labels), format_func=labels.__getitem__, key="run_choice")
    right.button("Open run", type="primary", key="open_run", on_click=open_run, args=(chosen,), width="stretch")
    render_model_agreement(hidden)


@st.cache_data(show_spinner=False, max_entries=8)
def model_figures(path: str, version: tuple, hidden: frozenset) -> list[ma.ModelAgreement]:
    return ma.model_agreement(state._open_store(path), hidden=set(hidden))


def render_model_agreement(hidden: dict[str, dict]) -> None:
    """Per model, over every run of the store: the newsroom's reviewers as the gold standard."""
    st.markdown("### Model vs reviewers")
    blind_ones = frozenset((run_id, cid) for run_id, claims in hidden.items() for cid in claims)
    figures = model_figures(state.db_path(), store_version(), blind_ones)
    if not figures:
        st.caption("No reviewed claim yet: approving or rejecting verdicts measures each model against your "
                   "reviewers.")
        return
    st.caption("How often reviewers agreed with each model's verdicts, over the claims they approved or rejected "
               "(an editor's final decision counts as the reviewer's; needs-evidence and unreviewed claims are "
               "not counted). Kappa: Cohen's, machine label vs reviewer label.")
    for figure in figures:
        st.markdown(f"**{md(figure.model)}**: {md(ma.describe(figure))}")
        st.dataframe(ma.confusion_rows(figure), hide_index=True, key=f"model_confusion_{figure.model}",
                     column_config={"machine": st.column_config.TextColumn("machine label")})
