"""Sidebar: the reviewer's name (asked once, kept for the session), search, filters with counts (kept in
the URL) and review progress."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import streamlit as st

from ui import render, state
from ui.article_view import filters_changed
from ui.decision import REVIEWER_KEY
from ui.state import Row, RunView, matches
from verify.review import Decision
from verify.vocabulary import FAILED, LABELS, STATES, state_words

VERDICT_CHOICES = [*LABELS, FAILED]
STATE_CHOICES = list(STATES)
DEFAULT_THRESHOLD = 0.6


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


_TEXTS: dict[str, tuple] = {}  # the last texts built, with the shared cached objects they were built from


def search_texts(view: RunView, decided: dict[str, Decision]) -> dict[str, str]:
    """What search looks in, per claim: its text, the article quote, the English form and every review note."""
    kept = _TEXTS.get("last")
    if kept and kept[0] is view and kept[1] is decided:
        return kept[2]
    out = {}
    for claim in view.claims:
        decision = decided.get(claim.id)
        notes = [event.note for event in decision.history] if decision else []
        out[claim.id] = fold("\n".join([claim.text, claim.quote, claim.text_en, *notes]))
    _TEXTS["last"] = (view, decided, out)
    return out


def found(row: Row, terms: list[str], texts: dict[str, str]) -> bool:
    """Every term must occur (AND); "#12" also finds claim number 12."""
    hay = texts.get(row.claim_id, "")
    return all(term in hay or term == f"#{row.number}" for term in terms)


def count_line(counts: dict[str, int], words) -> str:
    return " · ".join(f"{words(option)} **{n}**" for option, n in counts.items())


@dataclass(frozen=True)
class Facets:
    """The filtered claims and the facet counts, from the filter widgets' values as they are now."""

    searched: list[Row]  # rows the search finds (all rows without a search)
    shown: list[Row]  # rows that pass the search and every filter (article order)
    by_verdict: dict[str, int]  # each verdict's count with the other filters applied
    by_state: dict[str, int]
    under: int  # below the threshold (the other filters applied), of which `missing` have no confidence
    missing: int
    at_or_above: int
    threshold: float
    searching: bool


_FACETS: dict[str, tuple] = {}  # the last facets computed, with the rows and filter values they came from


def facets(run_id: str) -> Facets:
    """Computed from the run as stored now and the widgets' values in the session, so the count fragments
    can redraw after a decision without a page rerun (a decision moves claims between review states).
    The three count fragments and the filter list ask in the same run: computed once for them all."""
    view, decided, _ = state.load_run(run_id)
    rows = state.rows(view, decided)  # the same list object while the run and its decisions are unchanged
    terms = fold(st.session_state.get("q") or "").split()
    verdicts, states = st.session_state.get("f_verdict") or [], st.session_state.get("f_state") or []
    threshold = float(st.session_state.get("f_threshold", DEFAULT_THRESHOLD))
    below = threshold if st.session_state.get("f_low") else None
    key = (tuple(terms), tuple(verdicts), tuple(states), threshold, below)
    kept = _FACETS.get("last")
    if kept and kept[0] is rows and kept[1] == key:
        return kept[2]
    _FACETS["last"] = (rows, key, _facets(view, decided, rows, terms, verdicts, states, threshold, below))
    return _FACETS["last"][2]


def _facets(view: RunView, decided: dict[str, Decision], rows: list[Row], terms: list[str], verdicts: list[str],
            states: list[str], threshold: float, below: float | None) -> Facets:
    texts = search_texts(view, decided) if terms else {}
    searched = [row for row in rows if found(row, terms, texts)]
    # Facet counts: each filter's choices counted with the other filters applied.
    by_verdict = [r for r in searched if matches(r, [], states, below)]
    by_state = [r for r in searched if matches(r, verdicts, [], below)]
    by_confidence = [r for r in searched if matches(r, verdicts, states, None)]
    under = sum(1 for r in by_confidence if matches(r, [], [], threshold))
    return Facets(searched=searched, shown=[row for row in searched if matches(row, verdicts, states, below)],
                  by_verdict={v: sum(r.machine == v for r in by_verdict) for v in VERDICT_CHOICES},
                  by_state={s: sum(r.state == s for r in by_state) for s in STATE_CHOICES}, under=under,
                  missing=sum(1 for r in by_confidence if r.confidence is None),
                  at_or_above=len(by_confidence) - under, threshold=threshold, searching=bool(terms))


def render_filters(run_id: str) -> list[Row]:
    """Draw search and filter widgets and return the rows that pass them all (article order).

    Every widget is bound to the URL (bind="query-params": ?q=...&f_verdict=...), so a reload or a
    shared link keeps them. Under each filter, the number of claims each choice would give with the
    other filters and the search as they are (facet counts): small fragments a decision reruns
    (ui/decision.DECISION_RERUN) with the review pane, so they follow each decision without a page rerun."""
    side = st.sidebar
    changed = {"on_change": filters_changed, "bind": "query-params"}  # a filter change may move the open claim
    side.text_input("Search claims", key="q", placeholder="words in claim, quote, English form or notes",
                    help="Case and accents are ignored; every word must occur. #12 finds claim 12.", **changed)
    side.markdown("**Filters**")
    side.multiselect("Machine verdict", VERDICT_CHOICES, key="f_verdict", format_func=render.label_text, **changed)
    verdict_slot = side.container()
    side.multiselect("Review state", STATE_CHOICES, key="f_state", format_func=state_words, **changed)
    state_slot = side.container()
    low = side.checkbox("Only confidence below threshold", key="f_low", **changed)
    side.slider("Confidence threshold", 0.0, 1.0, DEFAULT_THRESHOLD, 0.05, key="f_threshold", disabled=not low,
                **changed)
    # The counts read every widget's value, so they are drawn (into their slots) once all widgets are.
    with verdict_slot:
        verdict_counts(run_id)
    with state_slot:
        state_counts(run_id)
    with side:
        confidence_counts(run_id)
    return facets(run_id).shown


@st.fragment(key="counts_verdict")
def verdict_counts(run_id: str) -> None:
    st.caption(count_line(facets(run_id).by_verdict, render.label_text))


@st.fragment(key="counts_state")
def state_counts(run_id: str) -> None:
    st.caption(count_line(facets(run_id).by_state, state_words))


@st.fragment(key="counts_confidence")
def confidence_counts(run_id: str) -> None:
    f = facets(run_id)
    st.caption(f"**{f.under}** below {f.threshold:.2f} (of which **{f.missing}** without a confidence) · "
               f"**{f.at_or_above}** at or above")
    if f.searching:
        n, shown = len(f.searched), len(f.shown)
        st.caption(f"Search finds **{n}** claim{'s' if n != 1 else ''}; **{shown}** pass the filters too.")


def render_progress(rows: list[Row]) -> None:
    rows = [row for row in rows if row.counted]  # merged and not check-worthy claims are out of the counts
    reviewed = sum(1 for row in rows if row.reviewed)
    waiting = sum(1 for row in rows if row.state == "needs_evidence")
    total = len(rows)
    text = f"Reviewed {reviewed} / {total}" + (f" · {waiting} need more evidence" if waiting else "")
    st.sidebar.progress(reviewed / total if total else 0.0, text=text)
