"""Article view: the article with every claim span coloured and labelled by its current verdict, and
the claim selector that decides which claim the panel shows."""

from __future__ import annotations

import streamlit as st

from ui import render, state
from ui.state import Row, RunView
from verify.vocabulary import state_words

FOCUS_KEY = "focus_claim"  # the open claim's id: what the selector, Previous/Next and decisions move
SELECT_KEY = "claim_select"  # the selector widget, set from FOCUS_KEY on every run
REFOCUS_KEY = "filters_changed"


def marks(view: RunView, by_id: dict[str, Row], focus: str | None) -> list[render.Mark]:
    out = []
    for claim in view.claims:
        if claim.span is None:  # unlocated quote: listed in the selector, flagged in the panel
            continue
        row = by_id[claim.id]
        out.append(render.Mark(claim.span.start, claim.span.end, row.current, prefix=f"#{row.number}",
                               reviewed=row.reviewed, focused=claim.id == focus,
                               title=f"claim #{row.number}: {state_words(row.state)}"))
    return out


def option_label(number: int, text: str) -> str:
    """The selector's text for a claim. It must never change while the page is open: the browser sends
    the chosen option back as this text, so a label that changed under it (say "unreviewed" becoming
    "approved" after another reviewer's decision) would no longer match and the selector would jump to
    another claim. Number and claim text are fixed; the claim's state is shown in the panel instead."""
    short = text if len(text) <= 100 else text[:97] + "..."
    return f"#{number} · {short}"


def filters_changed() -> None:
    # Called by the filter widgets: only the reviewer's own filter change may move the focus away.
    st.session_state[REFOCUS_KEY] = True


def focused_claim(shown: list[Row], all_rows: list[Row]) -> str | None:
    """The open claim: kept in the session and the URL (?claim=), moved only by the reviewer (selector,
    Previous/Next, a filter change, a decision). Another reviewer's decision that makes it leave the
    filtered list does not close it."""
    ids = {row.claim_id for row in all_rows}
    focus = st.session_state.get(FOCUS_KEY)
    if focus not in ids:
        focus = st.query_params.get("claim")
    refocus = st.session_state.pop(REFOCUS_KEY, False)
    if shown and (focus not in ids or (refocus and focus not in {row.claim_id for row in shown})):
        order = [row.claim_id for row in shown]
        focus = state.next_unreviewed(order, "", {row.claim_id: row.state for row in shown}) or order[0]
    return focus if focus in ids else None


def pick(options: list[str]) -> None:
    chosen = st.session_state.get(SELECT_KEY)
    if chosen in options:  # anything else is a stale browser value: keep the open claim
        st.session_state[FOCUS_KEY] = chosen


def select_claim(view: RunView, shown: list[Row], all_rows: list[Row]) -> str | None:
    """Draw the claim selector and return the focused claim id. The options are claim ids (their text
    comes from format_func), so an option's identity never changes; the focus lives under FOCUS_KEY so
    a decision callback can move it (to the next unreviewed claim) before the selector is drawn."""
    focus = focused_claim(shown, all_rows)
    if focus is None:
        st.info("No claim matches the filters.")
        return None
    by_id = {row.claim_id: row for row in all_rows}
    listed = {row.claim_id for row in shown}
    options = [row.claim_id for row in all_rows if row.claim_id in listed or row.claim_id == focus]
    st.session_state[FOCUS_KEY] = st.session_state[SELECT_KEY] = focus
    if st.query_params.get("claim") != focus:
        st.query_params["claim"] = focus
    texts = {claim.id: claim.text for claim in view.claims}
    st.selectbox(f"Claim ({len(shown)} shown of {len(all_rows)})", options, key=SELECT_KEY, on_change=pick,
                 args=(options,), format_func=lambda cid: option_label(by_id[cid].number, texts[cid]))
    if focus not in listed:
        st.caption(f"Claim #{by_id[focus].number} no longer matches the filters (it is "
                   f"{state_words(by_id[focus].state)} now); it stays open until you pick another claim.")
    step_buttons(options, focus)
    return focus


def step_buttons(order: list[str], chosen: str) -> None:
    def move(delta: int) -> None:
        st.session_state[FOCUS_KEY] = order[(order.index(chosen) + delta) % len(order)]

    left, right = st.columns(2)
    left.button("◀ Previous", key="prev_claim", on_click=move, args=(-1,), width="stretch")
    right.button("Next ▶", key="next_claim", on_click=move, args=(1,), width="stretch")


def render_article(view: RunView, all_rows: list[Row], focus: str | None) -> None:
    by_id = {row.claim_id: row for row in all_rows}
    st.subheader(render.md(view.article.title or "Untitled article"))
    st.caption(f"{render.md(view.article.language)} · {render.md(view.article.source)} · {len(view.claims)} claims · "
               "label badges: ✔ = confirmed by a reviewer")
    with st.container(height=760, key="article_box"):
        st.html(render.article_html(view.article.text, marks(view, by_id, focus)))
    if focus is not None:
        st.html(render.scroll_to_focus_js(by_id[focus].number), unsafe_allow_javascript=True)
