"""Review history: the run-wide activity log (every review event, newest first) and one claim's history,
with times in a named zone and undo events saying which decision they undid.

Times: the browser's zone is not known to the server, so times are shown in the zone of VERIFY_TIMEZONE
(an IANA name such as Europe/Paris) or, when it is unset, the server's own zone; either way the zone's
name is printed beside every time ("14:02 CET", "09:15 UTC").
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import streamlit as st

from ui.render import md
from ui.state import Row, RunView
from verify.config import Settings
from verify.models import ReviewEvent
from verify.review import Decision
from verify.vocabulary import label_tag

PAGE = 50  # events drawn at once in the activity log; "Show more" adds as many again
SHOWN_KEY = "activity_shown"
OPEN_KEY = "open_claim_pending"  # a claim to open on the next run, before the selector is drawn


def display_zone() -> tzinfo:
    """VERIFY_TIMEZONE if set, else the server's local zone (the browser's zone is unknown here)."""
    name = Settings.from_env().timezone
    return ZoneInfo(name) if name else datetime.now().astimezone().tzinfo


def zone_note() -> str:
    name = Settings.from_env().timezone
    where = f"VERIFY_TIMEZONE={name}" if name else "the server's zone; set VERIFY_TIMEZONE=Europe/Paris (say) to change"
    return f"Times in {datetime.now(display_zone()).tzname()} ({where})."


FULL, CLOCK, SHORT = "%Y-%m-%d %H:%M %Z", "%H:%M %Z", "%d %b %H:%M %Z"


def local_time(stamp: str, zone: tzinfo | None = None, fmt: str = FULL) -> str:
    """A stored UTC ISO time in the display zone, the zone named: "2026-12-01 15:02 CET"."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:  # never expected from the store; show what is there rather than fail the page
        return stamp
    local = moment.astimezone(zone or display_zone())
    return local.strftime(fmt)


def undone_events(history: list[ReviewEvent]) -> dict[int, ReviewEvent]:
    """For each undo event of one claim, the decision it undid: the same stack as verify.review.replay."""
    stack: list[ReviewEvent] = []
    undone: dict[int, ReviewEvent] = {}
    for event in history:
        if event.action != "undo":
            stack.append(event)
        elif stack:
            undone[event.id] = stack.pop()
    return undone


def tag(label: str | None) -> str:
    return label_tag(label) if label else "no label"


def what(event: ReviewEvent, undone: ReviewEvent | None, zone: tzinfo | None = None) -> str:
    """One plain sentence for an event: "rejected ✓ SUPPORTED → ✗ REFUTED", "undo of Alice's reject
    (✗ REFUTED) at 14:02 UTC"."""
    if event.action == "approve":
        return f"approved {tag(event.label_after)}"
    if event.action == "reject":
        return f"rejected {tag(event.label_before)} → {tag(event.label_after)}"
    if event.action == "needs_evidence":
        return "asked for more evidence"
    if event.action == "reopen":
        return "reopened (back to not reviewed)"
    if undone is None:
        return "undo (there was no decision left to undo)"
    label = f" ({tag(undone.label_after)})" if undone.label_after else ""
    return (f"undo of {undone.reviewer}'s {undone.action.replace('_', ' ')}{label} at "
            f"{local_time(undone.created_at, zone, CLOCK)}; now {tag(event.label_after)}")


def describe_undo(history: list[ReviewEvent], event: ReviewEvent) -> str:
    """What an undo just written undid (for the confirmation line)."""
    return what(event, undone_events(history).get(event.id))


def entry_markdown(event: ReviewEvent, undone: ReviewEvent | None, zone: tzinfo, prefix: str = "") -> str:
    """One event as Markdown: when, who, what; the note in full on its own lines (never cut off)."""
    head = f"{prefix}**{md(local_time(event.created_at, zone))}** · **{md(event.reviewer)}** · {md(what(event, undone, zone))}"
    if event.note:
        head += "\n\n> " + md(event.note).replace("\n", "\n> ")
    return head


def render_claim_history(decision: Decision) -> None:
    """The open claim's events, newest first, each with its note readable in full."""
    events = decision.history
    st.markdown(f"**History ({len(events)} event{'s' if len(events) != 1 else ''})**")
    if not events:
        st.caption("No review event yet.")
        return
    zone = display_zone()
    undone = undone_events(events)
    with st.container(key=f"history_{decision.claim_id}"):
        for event in reversed(events):
            st.markdown(entry_markdown(event, undone.get(event.id), zone))
    st.caption(zone_note())


def open_claim(claim_id: str) -> None:
    """Open a claim in the review view (applied by ui.claims_table.apply_pending before widgets are drawn)."""
    st.session_state[OPEN_KEY] = claim_id


def show_more() -> None:
    st.session_state[SHOWN_KEY] = st.session_state.get(SHOWN_KEY, PAGE) + PAGE


def run_events(decided: dict[str, Decision]) -> list[tuple[ReviewEvent, ReviewEvent | None]]:
    """Every review event of the run with what it undid (for undo events), newest first."""
    pairs = []
    for decision in decided.values():
        undone = undone_events(decision.history)
        pairs += [(event, undone.get(event.id)) for event in decision.history]
    return sorted(pairs, key=lambda pair: pair[0].id, reverse=True)


def render_activity(view: RunView, rows: list[Row], decided: dict[str, Decision]) -> None:
    """The run-wide activity log: who did what to which claim and when, newest first."""
    events = run_events(decided)
    st.markdown(f"#### Activity ({len(events)} review event{'s' if len(events) != 1 else ''})")
    if not events:
        st.info("No review event in this run yet: decisions appear here, newest first.")
        return
    st.caption(zone_note())
    numbers = {row.claim_id: row.number for row in rows}
    texts = {claim.id: claim.text for claim in view.claims}
    zone = display_zone()
    shown = st.session_state.get(SHOWN_KEY, PAGE)
    for event, undone in events[:shown]:
        number = numbers.get(event.claim_id, "?")
        with st.container(border=True, key=f"event_{event.id}"):
            text, button = st.columns([6, 1], vertical_alignment="center")
            text.markdown(entry_markdown(event, undone, zone, prefix=f"**#{number}** · "))
            text.caption(md(short(texts.get(event.claim_id, ""))))
            button.button(f"Open #{number}", key=f"open_event_{event.id}", on_click=open_claim,
                          args=(event.claim_id,), width="stretch")
    if len(events) > shown:
        st.button(f"Show {min(PAGE, len(events) - shown)} more (of {len(events) - shown} older)",
                  key="activity_more", on_click=show_more)


def short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

