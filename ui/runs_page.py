"""Runs page: every run in the store with its article, model, verdict counts and review progress."""

from __future__ import annotations

import streamlit as st

from ui import state
from verify.review import decisions

VERDICT_COLUMNS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO", "failed")


def store_version() -> tuple:
    return state.store().store_version()


@st.cache_data(show_spinner=False, max_entries=4)
def run_rows(path: str, version: tuple) -> list[dict]:
    """One plain dict per run (newest first); text stays text: st.dataframe never renders HTML."""
    store = state._open_store(path)
    counts = store.verdict_counts()
    out = []
    for run in store.list_runs():
        article = store.get_article(run.article_id)
        decided = decisions(store, run.id)
        reviewed = sum(1 for d in decided.values() if d.reviewed)
        per_label = counts.get(run.id, {})
        out.append({
            "run": run.id, "article": article.title, "language": article.language,
            "date": run.created_at[:16].replace("T", " "), "model": run.settings.model, "claims": len(decided),
            "reviewed": f"{reviewed} / {len(decided)}",
            **{label: per_label.get(label, 0) for label in VERDICT_COLUMNS}, "status": run.status,
        })
    return out


def open_run(run_id: str) -> None:
    st.session_state["run_id"] = run_id
    st.query_params["run"] = run_id


def render() -> None:
    st.title("Runs")
    st.caption(f"Store: {state.db_path()}")
    rows = run_rows(state.db_path(), store_version())
    if not rows:
        st.info("No runs yet. Verify an article first, for example: "
                "`verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources`, "
                "then reload this page.")
        return
    st.dataframe(rows, hide_index=True, width="stretch", key="runs_table")
    labels = {row["run"]: f"{row['run']} · {row['article'][:70]} · {row['reviewed']} reviewed" for row in rows}
    chosen = st.selectbox("Run to open", list(labels), format_func=labels.__getitem__, key="run_choice")
    st.button("Open run", type="primary", key="open_run", on_click=open_run, args=(chosen,))
