"""Sidebar: the reviewer's name (asked once, kept for the session), search, filters with counts (kept in
the URL) and review progress."""

from __future__ import annotations

import unicodedata

import streamlit as st

from ui import render
from ui.article_view import filters_changed
from ui.decision import REVIEWER_KEY
from ui.state import Row, RunView, matches
from verify.review import Decision
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


def fold(text: str) -> str:
    """Text as search compares it: case and accents ignored ("Élysée" is found by "elysee")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_texts(view: RunView, decided: dict[str, Decision]) -> dict[str, str]:
    """What search looks in, per claim: its text, the article quote, the English form and every review note."""
    out = {}
    for claim in view.claims:
        decision = decided.get(claim.id)
        notes = [event.note for event in decision.history] if decision else []
        out[claim.id] = fold("\n".join([claim.text, claim.quote, claim.text_en, *notes]))
    return out


def found(row: Row, terms: list[str], texts: dict[str, str]) -> bool:
    """Every term must occur (AND); "#12" also finds claim number 12."""
    hay = texts.get(row.claim_id, "")
    return all(term in hay or term == f"#{row.number}" for term in terms)


def count_line(counts: dict[str, int], words) -> str:
    return " · ".join(f"{words(option)} **{n}**" for option, n in counts.items())


def render_filters(rows: list[Row], texts: dict[str, str]) -> list[Row]:
    """Draw search and filter widgets and return the rows that pass them all (article order).

    Every widget is bound to the URL (bind="query-params": ?q=...&f_verdict=...), so a reload or a
    shared link keeps them. Under each filter, the number of claims each choice would give with the
    other filters and the search as they are (facet counts)."""
    side = st.sidebar
    changed = {"on_change": filters_changed, "bind": "query-params"}  # a filter change may move the open claim
    query = side.text_input("Search claims", key="q", placeholder="words in claim, quote, English form or notes",
                            help="Case and accents are ignored; every word must occur. #12 finds claim 12.",
                            **changed)
    terms = fold(query).split()
    searched = [row for row in rows if found(row, terms, texts)]
    side.markdown("**Filters**")
    verdicts = side.multiselect("Machine verdict", VERDICT_CHOICES, key="f_verdict", format_func=render.label_text,
                                **changed)
    verdict_slot = side.empty()
    states = side.multiselect("Review state", STATE_CHOICES, key="f_state", format_func=state_words, **changed)
    state_slot = side.empty()
    low = side.checkbox("Only confidence below threshold", key="f_low", **changed)
    threshold = side.slider("Confidence threshold", 0.0, 1.0, 0.6, 0.05, key="f_threshold", disabled=not low,
                            **changed)
    below = threshold if low else None
    # Facet counts: each filter's choices counted with the other filters applied.
    by_verdict = [r for r in searched if matches(r, [], states, below)]
    by_state = [r for r in searched if matches(r, verdicts, [], below)]
    by_confidence = [r for r in searched if matches(r, verdicts, states, None)]
    verdict_slot.caption(count_line({v: sum(r.machine == v for r in by_verdict) for v in VERDICT_CHOICES},
                                    render.label_text))
    state_slot.caption(count_line({s: sum(r.state == s for r in by_state) for s in STATE_CHOICES}, state_words))
    under = sum(1 for r in by_confidence if matches(r, [], [], threshold))
    missing = sum(1 for r in by_confidence if r.confidence is None)
    side.caption(f"**{under}** below {threshold:.2f} (of which **{missing}** without a confidence) · "
                 f"**{len(by_confidence) - under}** at or above")
    shown = [row for row in searched if matches(row, verdicts, states, below)]
    if terms:
        side.caption(f"Search finds **{len(searched)}** claim{'s' if len(searched) != 1 else ''}; "
                     f"**{len(shown)}** pass the filters too.")
    return shown


def render_progress(rows: list[Row]) -> None:
    rows = [row for row in rows if row.counted]  # merged and not check-worthy claims are out of the counts
    reviewed = sum(1 for row in rows if row.reviewed)
    waiting = sum(1 for row in rows if row.state == "needs_evidence")
    total = len(rows)
    text = f"Reviewed {reviewed} / {total}" + (f" · {waiting} need more evidence" if waiting else "")
    st.sidebar.progress(reviewed / total if total else 0.0, text=text)
