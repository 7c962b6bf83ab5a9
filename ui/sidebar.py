"""Sidebar: the reviewer's name (asked once, kept for the session), filters and review progress."""

from __future__ import annotations

import streamlit as st

from ui import render
from ui.article_view import filters_changed
from ui.decision import REVIEWER_KEY
from ui.state import Row, matches
from verify.vocabulary import FAILED, LABELS, STATES, state_words

VERDICT_CHOICES = [*LABELS, FAILED]
STATE_CHOICES = list(STATES)


def keep_reviewer() -> None:
    # Widget state is dropped when a widget is not drawn; a plain key survives page switches.
    st.session_state["_reviewer_saved"] = st.session_state.get(REVIEWER_KEY, "")


def render_reviewer() -> None:
    if REVIEWER_KEY not in st.session_state and "_reviewer_saved" in st.session_state:
        st.session_state[REVIEWER_KEY] = st.session_state["_reviewer_saved"]
    st.sidebar.text_input("Reviewer", key=REVIEWER_KEY, on_change=keep_reviewer, placeholder="your name",
                          help="Recorded with every decision; asked once per browser session.")


def render_filters(rows: list[Row]) -> list[Row]:
    """Draw the filter widgets and return the rows that pass them (article order)."""
    side = st.sidebar
    side.markdown("**Filters**")
    changed = {"on_change": filters_changed}  # the reviewer's own filter change may move the open claim
    verdicts = side.multiselect("Machine verdict", VERDICT_CHOICES, key="f_verdict", format_func=render.label_text,
                                **changed)
    states = side.multiselect("Review state", STATE_CHOICES, key="f_state",
                              format_func=state_words, **changed)
    low = side.checkbox("Only confidence below threshold", key="f_low", **changed)
    threshold = side.slider("Confidence threshold", 0.0, 1.0, 0.6, 0.05, key="f_threshold", disabled=not low,
                            **changed)
    below = threshold if low else None
    return [row for row in rows if matches(row, verdicts, states, below)]


def render_progress(rows: list[Row]) -> None:
    reviewed = sum(1 for row in rows if row.reviewed)
    waiting = sum(1 for row in rows if row.state == "needs_evidence")
    total = len(rows)
    text = f"Reviewed {reviewed} / {total}" + (f" · {waiting} need more evidence" if waiting else "")
    st.sidebar.progress(reviewed / total if total else 0.0, text=text)
