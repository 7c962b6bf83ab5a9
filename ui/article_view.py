"""Article view: the article with every claim span coloured and labelled by its current verdict, and
the claim selector that decides which claim the panel shows."""

from __future__ import annotations

import json

import streamlit as st

from ui import render, state
from ui.state import Row, RunView
from verify.vocabulary import COLOURS, PENDING, state_words

FOCUS_KEY = "focus_claim"  # the open claim's id: what the selector, Previous/Next and decisions move
SELECT_KEY = "claim_select"  # the selector widget, set from FOCUS_KEY on every run
REFOCUS_KEY = "filters_changed"


SHOWN_KEY = "article_shown"  # {claim id: (label, reviewed, state)} as the article on the page shows them
RECOLOURS_KEY = "article_recolours"  # how many recolour scripts were sent (each must be a new element)


def mark_title(row: Row) -> str:
    return f"claim #{row.number}: {state_words(row.state)}"  # ui/keys.py and recolour_js find marks by it


def marks(view: RunView, by_id: dict[str, Row], focus: str | None) -> list[render.Mark]:
    out = []
    for claim in view.claims:
        if claim.span is None:  # unlocated quote: listed in the selector, flagged in the panel
            continue
        row = by_id[claim.id]
        out.append(render.Mark(claim.span.start, claim.span.end, row.current, prefix=f"#{row.number}",
                               reviewed=row.reviewed, focused=claim.id == focus, title=mark_title(row)))
    return out


def looks(rows: list[Row]) -> dict[str, tuple]:
    return {row.claim_id: (row.current, row.reviewed, row.state) for row in rows}


def render_recolour(rows: list[Row]) -> None:
    """Bring the article's marks up to date by script after a decision. The review pane reruns alone
    (re-sending a 500-claim article cost most of a decision's time), so the article still shows the
    colours of the last full run; recolour the marks that changed since (this reviewer's decision, an
    undo, another reviewer's). The next full run redraws the article server-side anyway."""
    slot = st.empty()  # always drawn: the pane's later elements keep their places from one run to the next
    shown = st.session_state.get(SHOWN_KEY)
    if shown is None:
        return
    now = looks(rows)
    changed = [row for row in rows if shown.get(row.claim_id) not in (None, now[row.claim_id])]
    if not changed:
        return
    sequence = st.session_state[RECOLOURS_KEY] = st.session_state.get(RECOLOURS_KEY, 0) + 1
    st.session_state[SHOWN_KEY] = now
    slot.html(recolour_js([mark_look(r) for r in changed], sequence), unsafe_allow_javascript=True)


# Recolours claim marks already on the page. Static code; the data is JSON of label colours and words
# (verify/vocabulary.py), claim numbers and state words: no article, claim or source text. Marks are found
# by their title ("claim #N: ..."), as ui/keys.py finds them.
_RECOLOUR_JS = """<script>/* vf-recolour %d */
(() => {
  const recolour = () => {
    for (const u of %s) {
      const mark = document.querySelector('.vf-article mark[title^="claim #' + u.n + ':"]');
      if (!mark) continue;
      mark.style.background = u.bg; mark.style.borderColor = u.edge; mark.title = u.title;
      const b = mark.querySelector('.vf-badge');
      if (b) { b.style.background = u.ink; b.textContent = u.badge; }
    }
  };
""" + render.AFTER_PAINT_JS.replace("%", "%%") + """
  later(recolour);
})();
</script>"""


def mark_look(row: Row) -> dict:
    """A claim mark's colours, badge and title, as render.highlight draws them."""
    colour = COLOURS.get(row.current, COLOURS[PENDING])
    return {"n": row.number, "bg": colour.background, "edge": colour.edge, "ink": colour.ink,
            "badge": render.badge_text(row.current, f"#{row.number}", row.reviewed), "title": mark_title(row)}


def recolour_js(looks: list[dict], sequence: int) -> str:
    """The script applying `looks`; `sequence` makes each one a new element, so Streamlit runs it."""
    data = json.dumps(looks, ensure_ascii=False).replace("<", "\\u003c")  # never a "</script>" inside it
    return _RECOLOUR_JS % (int(sequence), data)


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
    order = [row.claim_id for row in all_rows if row.claim_id in listed or row.claim_id == focus]
    options = around(order, focus)
    st.session_state[FOCUS_KEY] = st.session_state[SELECT_KEY] = focus
    if st.query_params.get("claim") != focus:
        st.query_params["claim"] = focus
    texts = {claim.id: claim.text for claim in view.claims}
    hint = (None if len(options) == len(order) else f"Lists the {len(options)} claims around the open one; "
            "Previous/Next step through all of them, and Search claims (#number) or All claims reach any.")
    st.selectbox(f"Claim ({len(shown)} shown of {len(all_rows)})", options, key=SELECT_KEY, on_change=pick,
                 args=(options,), format_func=lambda cid: option_label(by_id[cid].number, texts[cid]), help=hint)
    if focus not in listed:
        st.caption(f"Claim #{by_id[focus].number} no longer matches the filters (it is "
                   f"{state_words(by_id[focus].state)} now); it stays open until you pick another claim.")
    step_buttons(order, focus)
    return focus


SELECTOR_REACH = 40  # claims listed on each side of the open one


def around(order: list[str], focus: str, reach: int = SELECTOR_REACH) -> list[str]:
    """The selector's options: the claims near the open one in the list's order. The selector is redrawn
    with the review pane on every decision; listing all 500 claims of a long run sent and rendered ~17 KB
    of options each time for a list nobody scrolls (search and All claims find a far claim)."""
    at = order.index(focus)
    start = max(0, min(at - reach, len(order) - 2 * reach - 1))
    return order[start:start + 2 * reach + 1]


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
    st.session_state[SHOWN_KEY] = looks(all_rows)
    if focus is not None:
        st.html(render.scroll_to_focus_js(by_id[focus].number), unsafe_allow_javascript=True)
