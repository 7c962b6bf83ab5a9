"""Decision form: approve, reject with the corrected label, needs more evidence, undo; and the
concurrent-edit conflict flow.

Decisions are written from button callbacks, which Streamlit runs before the script reruns. Each
button carries the claim id its form was drawn for and the `expected` event id: the claim's last event
when this reviewer opened the claim (kept in the session while the claim stays focused, so reruns
caused by filling in the form do not refresh it). The decision is written on that claim only; if
someone else changed it meanwhile, review.decide raises ReviewConflict and nothing is written until
the reviewer confirms (force=True) or keeps the other decision. Undoing another reviewer's decision
asks first.
"""

from __future__ import annotations

import streamlit as st

from ui import activity, keys, render, state
from ui.article_view import FOCUS_KEY
from ui.render import md
from ui.state import Row, RunView
from verify.errors import VerifyError
from verify.models import Label
from verify.review import Decision, ReviewConflict, decide
from verify.vocabulary import state_words

ACTIONS = {"Approve": "approve", "Reject": "reject", "Needs more evidence": "needs_evidence"}
ACTION_KEYS = {"Approve": "key A", "Reject": "key X", "Needs more evidence": "key E"}
LABELS = [label.value for label in Label]
REVIEWER_KEY = "reviewer"
UNDO_KEY = "confirm_undo_of"  # the claim and decision an undo is waiting to be confirmed for


def reviewer() -> str:
    return str(st.session_state.get(REVIEWER_KEY, "")).strip()


def expected_event(claim_id: str, decision: Decision) -> int | None:
    """The last event id the reviewer saw when this claim was opened (refreshed on each new focus)."""
    seen = st.session_state.setdefault("seen_events", {})
    if st.session_state.get("seen_claim") != claim_id or claim_id not in seen:
        seen[claim_id] = decision.last_event_id
        st.session_state["seen_claim"] = claim_id
        st.session_state.pop(UNDO_KEY, None)  # an unconfirmed undo is dropped once the reviewer moves on
    return seen[claim_id]


def acknowledge(claim_id: str, event_id: int | None) -> None:
    st.session_state.setdefault("seen_events", {})[claim_id] = event_id


def form_values(claim_id: str) -> dict:
    choice = st.session_state.get(f"act_{claim_id}")
    action = ACTIONS.get(choice) if choice else None
    label = st.session_state.get(f"label_{claim_id}") if action == "reject" else None
    return {"action": action, "label": label, "note": st.session_state.get(f"note_{claim_id}", "")}


def ready(values: dict) -> bool:
    """Nothing is preselected: a decision is chosen, and a rejection names the corrected label."""
    return values["action"] is not None and (values["action"] != "reject" or bool(values["label"]))


def submit(run_id: str, claim_id: str, expected: int | None, order: list[str], force: bool = False,
           pending: dict | None = None) -> None:
    # A click or key press from a form still on screen while the page moves on (a double Ctrl+Enter,
    # a stale element during a rerun) names a claim that is no longer the open one: write nothing.
    if claim_id != st.session_state.get(FOCUS_KEY):
        st.session_state["flash"] = ("error", "That form was for a claim that is no longer open: nothing was "
                                              "recorded. Decide the claim on screen.")
        return
    params = pending or form_values(claim_id)
    if not ready(params):  # Submit is disabled until then; a forged or raced click records nothing
        st.session_state["flash"] = ("error", "Choose a decision (and the corrected label when rejecting) first.")
        return
    view, _, _ = state.load_run(run_id)
    try:
        event = decide(state.writer(), run_id=run_id, claim_id=claim_id, reviewer=reviewer(), action=params["action"],
                       machine_verdict=view.verdicts.get(claim_id), corrected_label=params["label"],
                       note=params["note"], expected_last_event=expected, force=force)
    except ReviewConflict as exc:
        st.session_state["conflict"] = {"claim_id": claim_id, "message": str(exc), "params": params,
                                        "latest": exc.latest.model_dump(), "order": order}
        return
    except VerifyError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    st.session_state.pop("conflict", None)
    acknowledge(claim_id, event.id)
    after = activity.tag(event.label_after)
    action = event.action.replace("_", " ")
    number = next((c.index + 1 for c in view.claims if c.id == claim_id), "?")
    if event.action == "undo":  # say which decision it undid: "undo of Alice's reject (✗ REFUTED) at 14:02 CET"
        _, decided, _ = state.load_run(run_id)
        action, after = activity.describe_undo(decided[claim_id].history, event), ""
    st.session_state["flash"] = ("success", f"Recorded: {action}{f' ({after})' if after else ''} on claim "
                                            f"#{number} by {event.reviewer}.")
    if event.action != "undo":  # an undo keeps the reviewer on the claim they are correcting
        advance(run_id, claim_id, order)


def advance(run_id: str, claim_id: str, order: list[str]) -> None:
    """Open the next unreviewed claim of the list the reviewer is working through."""
    _, decided, _ = state.load_run(run_id)  # fresh: the new event changed the cache key
    following = state.next_unreviewed(order, claim_id, {cid: d.state for cid, d in decided.items()})
    if following:
        st.session_state[FOCUS_KEY] = following


def undo(run_id: str, claim_id: str, expected: int | None, order: list[str]) -> None:
    st.session_state.pop(UNDO_KEY, None)
    submit(run_id, claim_id, expected, order, pending={"action": "undo", "label": None, "note": ""})


def ask_undo(claim_id: str, decision: dict) -> None:
    st.session_state[UNDO_KEY] = {"claim_id": claim_id, "decision": decision}


def cancel_undo() -> None:
    st.session_state.pop(UNDO_KEY, None)


def decided_by_me(decision: Decision) -> bool:
    return (decision.reviewer or "").strip().casefold() == reviewer().casefold()


def keep_theirs(claim_id: str, latest_id: int) -> None:
    st.session_state.pop("conflict", None)
    acknowledge(claim_id, latest_id)


def render_flash() -> None:
    flash = st.session_state.pop("flash", None)
    if flash:
        kind, message = flash
        (st.success if kind == "success" else st.error)(md(message))


def render_conflict(run_id: str, conflict: dict) -> None:
    latest = conflict["latest"]
    mine = conflict["params"]
    st.warning(f"**Changed by someone else.** {md(conflict['message'])}", icon="⚠️")
    their = activity.tag(latest["label_after"])
    st.markdown(f"Their decision: **{md(latest['action'].replace('_', ' '))}** ({md(their)}) by "
                f"**{md(latest['reviewer'])}** at {md(latest['created_at'])}"
                + (f", note: {md(latest['note'])}" if latest["note"] else ""))
    st.markdown(f"Your decision: **{md(mine['action'].replace('_', ' '))}**"
                + (f" ({md(render.label_text(mine['label']))})" if mine["label"] else "")
                + (f", note: {md(mine['note'])}" if mine["note"] else ""))
    left, right = st.columns(2)
    left.button("Override with my decision", type="primary", key="confirm_override", on_click=pane_rerun(submit),
                args=(run_id, conflict["claim_id"], None, conflict["order"]),
                kwargs={"force": True, "pending": mine}, width="stretch")
    right.button("Keep their decision", key="keep_theirs", on_click=pane_rerun(keep_theirs),
                 args=(conflict["claim_id"], latest["id"]), width="stretch")


def whole_pane(callback):
    """A callback that changes what lies outside the review pane too (assignments, say): rerun the page."""
    def run(*args, **kwargs) -> None:
        callback(*args, **kwargs)
        st.rerun()
    return run


# What a decision changes on screen: the review pane (the open claim, the flash, a conflict, the progress,
# the article's colours, recoloured there by script: article_view.render_recolour) and the sidebar's
# filter counts. Only these fragments rerun: a page rerun re-sent and re-drew the 500-claim article, the
# filters and the claim list, ~600 ms of a decision in Chromium (bench/ui_browser.py).
DECISION_RERUN = ["review", "counts_verdict", "counts_state", "counts_confidence"]  # ui/app.py, ui/sidebar.py


def pane_rerun(callback):
    """A form callback that changes more than this form: rerun the review pane and the filter counts."""
    def run(*args, **kwargs) -> None:
        callback(*args, **kwargs)
        st.rerun(DECISION_RERUN)
    return run


@st.fragment(key="decision_form")
def render_form(view: RunView, row: Row, decision: Decision, order: list[str]) -> None:
    """The decision form: a fragment inside the review pane, so choosing an option or a label reruns
    only this form; submitting reruns the review pane and the filter counts (pane_rerun)."""
    conflict = st.session_state.get("conflict")
    if conflict and conflict["claim_id"] == row.claim_id:
        render_conflict(view.run.id, conflict)
        return
    name = reviewer()
    if not name:
        st.info("Enter your name under **Reviewer** in the sidebar to record decisions.")
    cid = row.claim_id
    expected = expected_event(cid, decision)
    render_changed_since_opened(decision, expected)
    pending_undo = st.session_state.get(UNDO_KEY)
    if pending_undo and pending_undo["claim_id"] == cid:
        render_undo_confirm(view.run.id, row, pending_undo["decision"], expected, order)
        return
    render_current(row, decision)
    # Nothing preselected (index=None): an unread claim cannot be approved by a stray Submit or Ctrl+Enter.
    # Approving a failed verdict would approve nothing: the reviewer must set a label or ask for evidence.
    actions = [a for a in ACTIONS if row.machine in LABELS or a != "Approve"]
    choice = st.radio("Decision", actions, horizontal=True, key=f"act_{cid}", index=None,
                      captions=[ACTION_KEYS[a] for a in actions])
    if choice == "Reject":
        # Each label is numbered by its fixed place (1 Supported, 2 Refuted, 3 Not enough info), so keys
        # 1/2/3 always mean the same label; the machine's own label is left out (rejecting to it says nothing).
        options = [label for label in LABELS if label != row.machine]
        st.radio("Corrected label", options, key=f"label_{cid}", index=None, horizontal=True,
                 format_func=lambda label: f"{render.label_text(label)} ({LABELS.index(label) + 1})")
    st.text_input("Note (optional)", key=f"note_{cid}", placeholder="why, or what evidence is missing")
    render_deciding(view, row)
    left, right = st.columns([3, 2])
    left.button("Submit decision", type="primary", key=f"submit_{cid}", disabled=not (name and ready(form_values(cid))),
                on_click=pane_rerun(submit), args=(view.run.id, cid, expected, order), width="stretch",
                help="Ctrl+Enter. Enabled once a decision (and, to reject, the corrected label) is chosen.")
    keys.render(cid, row.number)
    if decision.state == "unreviewed":
        return
    if decided_by_me(decision):
        right.button("Undo last decision", key=f"undo_{cid}", disabled=not name, on_click=pane_rerun(undo),
                     args=(view.run.id, cid, expected, order), width="stretch")
    else:  # someone else's decision is undone only after a confirm step that names them
        right.button("Undo last decision", key=f"undo_{cid}", disabled=not name, on_click=pane_rerun(ask_undo),
                     args=(cid, undo_summary(decision)), width="stretch")


def render_current(row: Row, decision: Decision) -> None:
    """The claim's number and where it stands now, at the top of the form: deciding again is a change."""
    if decision.state == "unreviewed":
        now = "not reviewed yet"
    else:
        label = f", {render.label_text(decision.label)}" if decision.label else ""
        who = f" by {decision.reviewer}" if decision.reviewer else ""
        now = f"{state_words(decision.state)}{label}{who}"
    st.markdown(f"**Decision for claim #{row.number}** · now: {md(now)}")


def render_deciding(view: RunView, row: Row) -> None:
    """Which claim the Submit button decides, right above it: the form never hides what it is for."""
    text = view.claim(row.claim_id).text
    short = text if len(text) <= 160 else text[:157] + "..."
    st.markdown(f"Deciding claim **#{row.number}**: {md(short)}")


def render_changed_since_opened(decision: Decision, expected: int | None) -> None:
    """Say it when another reviewer changed the open claim: the badge alone changes quietly."""
    if decision.last_event_id == expected or not decision.history:
        return
    latest = decision.history[-1]
    after = activity.tag(latest.label_after)
    st.warning(f"**{md(latest.reviewer)}** changed this claim after you opened it: "
               f"{md(latest.action.replace('_', ' '))} ({md(after)}). If your decision differs, you will be asked "
               "to confirm before it replaces theirs.", icon="⚠️")


def undo_summary(decision: Decision) -> dict:
    return {"reviewer": decision.reviewer, "state": decision.state, "label": decision.label}


def render_undo_confirm(run_id: str, row: Row, undone: dict, expected: int | None, order: list[str]) -> None:
    what = state_words(undone["state"]) + (f", {render.label_text(undone['label'])}" if undone["label"] else "")
    st.warning(f"Undo **{md(undone['reviewer'])}**'s decision on claim #{row.number} ({md(what)})? "
               "It is their decision, not yours.", icon="⚠️")
    left, right = st.columns(2)
    left.button(f"Undo {md(undone['reviewer'])}'s decision", type="primary", key="confirm_undo", on_click=pane_rerun(undo),
                args=(run_id, row.claim_id, expected, order), width="stretch")
    right.button("Cancel", key="cancel_undo", on_click=pane_rerun(cancel_undo), width="stretch")
