"""Finding claims: the view switch of a run page (Review / All claims / Activity, kept in the URL), the
sortable list of every claim the search and filters let through, whose rows open the claim, and the
hand-over that opens a claim chosen in the list or in the activity log."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import activity
from ui.article_view import FOCUS_KEY
from ui.state import Row, RunView
from verify.review import Decision
from verify.vocabulary import label_tag, state_words

VIEW_KEY = "view"
REVIEW, TABLE, ACTIVITY = "Review", "All claims", "Activity"
TABLE_KEY = "claims_table"
SEEN_KEY = "claims_table_seen"  # the table selection already acted on (a kept selection must not reopen)
ROW_PX, HEADER_PX, MAX_PX = 35, 38, 640
CLICKS = ("single-row", "single-cell")  # a click on a row's box or on any of its cells opens it


def apply_pending() -> None:
    """A claim chosen in the list or the log opens in the review view. Runs before those widgets are
    drawn: Streamlit lets a widget's value be set only before the widget is drawn in a run."""
    pending = st.session_state.pop(activity.OPEN_KEY, None)
    if pending:
        st.session_state[FOCUS_KEY] = pending
        st.session_state[VIEW_KEY] = REVIEW


def view_switch() -> str:
    apply_pending()
    chosen = st.segmented_control("View", [REVIEW, TABLE, ACTIVITY], key=VIEW_KEY, default=REVIEW,
                                  bind="query-params", label_visibility="collapsed")
    return chosen or REVIEW  # a click on the chosen segment unselects it: stay on the review view


def table_rows(view: RunView, shown: list[Row], decided: dict[str, Decision]) -> list[dict]:
    """One plain dict per claim (st.dataframe shows text as text: nothing here is rendered as markup)."""
    texts = {claim.id: claim.text for claim in view.claims}
    zone = activity.display_zone()
    out = []
    for row in shown:
        decision = decided.get(row.claim_id)
        when = decision.history[-1].created_at if decision and decision.history else ""
        out.append({
            "#": row.number, "claim": texts[row.claim_id], "state": state_words(row.state),
            "machine verdict": label_tag(row.machine), "confidence": row.confidence,
            "reviewer": (decision.reviewer or "") if decision else "",
            "last change": activity.local_time(when, zone, activity.SHORT) if when else "",
        })
    return out


def clicked_row(table_key: str, seen_key: str, count: int) -> int | None:
    """The position of a newly clicked row of a table drawn with CLICKS, or None (nothing selected, or a
    selection already acted on: Streamlit keeps a selection across reruns). A click on the row's box
    selects the row, a click on any cell selects that cell: either names the row. Positions index the
    data as given, whatever column the reviewer sorted the table by."""
    state = st.session_state.get(table_key)
    selection = state["selection"] if state else {}
    picked = list(selection.get("rows") or []) or [cell[0] for cell in selection.get("cells") or []]
    if not picked:
        st.session_state.pop(seen_key, None)
        return None
    if st.session_state.get(seen_key) == picked or not 0 <= picked[0] < count:
        return None
    st.session_state[seen_key] = picked
    return picked[0]


def chosen_row(shown: list[Row]) -> str | None:
    position = clicked_row(TABLE_KEY, SEEN_KEY, len(shown))
    return None if position is None else shown[position].claim_id


def open_selected(shown: list[Row]) -> None:
    """on_select callback (a click in the browser): runs before the next script run, so the claim opens
    in that very run."""
    claim_id = chosen_row(shown)
    if claim_id:
        activity.open_claim(claim_id)


def render_table(view: RunView, rows: list[Row], shown: list[Row], decided: dict[str, Decision]) -> None:
    st.markdown(f"#### All claims ({len(shown)} shown of {len(rows)})")
    st.caption("Click a column header to sort; click a row to open the claim. Search and filters in the "
               "sidebar apply here too.")
    if not shown:
        st.info("No claim matches the search and filters.")
        return
    height = min(HEADER_PX + ROW_PX * len(shown), MAX_PX)
    st.dataframe(
        table_rows(view, shown, decided), hide_index=True, width="stretch", height=height, key=TABLE_KEY,
        on_select=partial(open_selected, shown), selection_mode=CLICKS,
        column_config={  # widths that fit a 1440 px screen beside the sidebar without scrolling sideways
            "#": st.column_config.NumberColumn("#", width=45, format="%d"),
            "claim": st.column_config.TextColumn("claim", width=305, help="The claim; the row opens it."),
            "state": st.column_config.TextColumn("review state", width=140),
            "machine verdict": st.column_config.TextColumn("machine verdict", width=150),
            "confidence": st.column_config.NumberColumn("confidence", format="%.2f", width=80,
                                                        help="Blank: the model gave no confidence."),
            "reviewer": st.column_config.TextColumn("reviewer", width=80),
            "last change": st.column_config.TextColumn("last change", width=120),
        },
    )
    # A selection set without a click (a test, or a kept selection) is acted on here instead.
    claim_id = chosen_row(shown)
    if claim_id:
        activity.open_claim(claim_id)
        st.rerun()


def render_view(mode: str, view: RunView, rows: list[Row], shown: list[Row], decided: dict[str, Decision]) -> None:
    if mode == TABLE:
        render_table(view, rows, shown, decided)
    else:
        activity.render_activity(view, rows, decided)
