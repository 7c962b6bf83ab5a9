"""Article view: the article with every claim span coloured and labelled by its current verdict, and
the claim selector that decides which claim the panel shows."""

from __future__ import annotations

import streamlit as st

from ui import render, state
from ui.state import Row, RunView

FOCUS_KEY = "claim_select"
STATE_TEXT = {"unreviewed": "unreviewed", "approved": "approved", "rejected": "rejected",
              "needs_evidence": "needs evidence"}


def marks(view: RunView, by_id: dict[str, Row], focus: str | None) -> list[render.Mark]:
    out = []
    for claim in view.claims:
        if claim.span is None:  # unlocated quote: listed in the selector, flagged in the panel
            continue
        row = by_id[claim.id]
        out.append(render.Mark(claim.span.start, claim.span.end, row.current, prefix=f"#{row.number}",
                               reviewed=row.reviewed, focused=claim.id == focus,
                               title=f"claim #{row.number}: {STATE_TEXT[row.state]}"))
    return out


def option_label(row: Row, text: str) -> str:
    short = text if len(text) <= 90 else text[:87] + "..."
    return f"#{row.number} · {render.label_text(row.current)} · {STATE_TEXT[row.state]} · {short}"


def select_claim(view: RunView, shown: list[Row], all_rows: list[Row]) -> str | None:
    """The focused claim id. Its value lives under FOCUS_KEY so a decision callback can move the
    focus (to the next unreviewed claim) before the selector is drawn."""
    if not shown:
        st.info("No claim matches the filters.")
        return None
    order = [row.claim_id for row in shown]
    current = st.session_state.get(FOCUS_KEY)
    if current not in order:
        states = {row.claim_id: row.state for row in shown}
        st.session_state[FOCUS_KEY] = state.next_unreviewed(order, "", states) or order[0]
    texts = {claim.id: claim.text for claim in view.claims}
    by_id = {row.claim_id: row for row in all_rows}
    chosen = st.selectbox(f"Claim ({len(shown)} shown of {len(all_rows)})", order, key=FOCUS_KEY,
                          format_func=lambda cid: option_label(by_id[cid], texts[cid]))
    step_buttons(order, chosen)
    return chosen


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
