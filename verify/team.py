"""Assignment and blind second review (issue 14): who reviews which claims, and how far they agree.

- An editor (or admin) assigns a whole run or single claims to a reviewer ('first' slot: the usual review,
  in review_events) and optionally to a second reviewer ('second' slot). Assignments are append-only
  events; per claim, the latest assign or unassign of each slot is in force (a run-wide one covers every
  claim of the run, hand-added ones too).
- The second reviewer decides blind: their decision goes to team_decisions, never into review_events,
  and the dashboard loads, for them, neither the first decision nor its history (`blind_view`).
- Where both decided (approved or rejected) and their labels differ, the claim is a disagreement: it
  waits in the editors' queue until an editor records the final decision, written both as a review
  event (so reports, exports and the dashboard use it) and as a team row of kind 'final' with their role.
- Agreement: Cohen's kappa (scikit-learn) and raw agreement over the labels of claims both decided, per
  run and per reviewer pair. The "first decision" is the claim's review log without the editors' finals.

Every write checks the writer's role here, from the server's users file (verify/roles.py), never a role
handed in: a reviewer cannot assign or resolve, and only the assigned second reviewer decides second.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Literal

from pydantic import Field

from . import roles
from .claim_edits import effective_claims
from .errors import VerifyError
from .models import Label, NewReviewEvent, Strict, Verdict
from .review import DECIDED, Decision, State, replay
from .store import Store
from .store.team import AssignmentEvent, ClaimLog, Slot, TeamDecision

SecondAction = Literal["approve", "reject", "needs_evidence"]
Status = Literal["waiting", "agreed", "disagreed", "resolved"]


# --- roles -------------------------------------------------------------------------------------------


def require_editor(username: str, what: str) -> roles.TeamUser:
    """The user, when an editor or admin; PermissionDenied (one line) otherwise."""
    username = (username or "").strip()
    who = roles.user(username)
    if who is None or not username:
        raise roles.PermissionDenied(f"{username or 'nobody'} is not a user in the team's users file: "
                                     "log in as a listed user (VERIFY_AUTH_CONFIG)")
    if roles.RANK[who.role] < roles.RANK["editor"]:
        raise roles.PermissionDenied(f"{username} is a {who.role}: only an editor or an admin can {what}")
    return who


def _known_reviewer(username: str) -> str:
    """An assignee must be someone who can log in (auth off: any name)."""
    username = (username or "").strip()
    if not username:
        raise VerifyError("name the reviewer to assign")
    if roles.user(username) is None:
        raise VerifyError(f"{username} is not a user in the team's users file: add them there first, or check the "
                          "spelling")
    return username


# --- assignment --------------------------------------------------------------------------------------


class Assigned(Strict):
    """Who holds each slot of one claim now."""

    first: str | None = None
    second: str | None = None

    def slot_of(self, username: str) -> Slot | None:
        if username and username == self.first:
            return "first"
        if username and username == self.second:
            return "second"
        return None


def assign(store: Store, run_id: str, *, by: str, to: str, second: str | None = None,
           claim_ids: list[str] | None = None) -> list[AssignmentEvent]:
    """Assign the run (or the given claims) to `to`, and to `second` as blind second reviewer."""
    actor = require_editor(by, "assign claims to reviewers")
    to = _known_reviewer(to)
    second = _known_reviewer(second) if second else None
    if second == to:
        raise VerifyError(f"{to} cannot be both the first and the blind second reviewer: name someone else")
    targets = claim_ids or [None]
    wanted = [("first", to)] + ([("second", second)] if second else [])
    events = [AssignmentEvent(run_id=run_id, claim_id=cid, reviewer=name, slot=slot, action="assign",
                              actor=actor.username, actor_role=actor.role) for cid in targets for slot, name in wanted]
    return store.append_assignments(events)


def unassign(store: Store, run_id: str, *, by: str, reviewer: str, claim_ids: list[str] | None = None,
             slot: Slot | None = None) -> list[AssignmentEvent]:
    """Take `reviewer` off the run (or the given claims), in one slot or both. Their decisions stay."""
    actor = require_editor(by, "unassign reviewers")
    reviewer = (reviewer or "").strip()
    held = assignments(store, run_id)
    targets = claim_ids or [None]
    slots: list[Slot] = [slot] if slot else ["first", "second"]
    events = [AssignmentEvent(run_id=run_id, claim_id=cid, reviewer=reviewer, slot=s, action="unassign",
                              actor=actor.username, actor_role=actor.role)
              for cid in targets for s in slots
              if any(getattr(held[c], s) == reviewer for c in ([cid] if cid else held))]
    if not events:
        raise VerifyError(f"{reviewer} is not assigned to {'those claims' if claim_ids else 'this run'}: nothing to "
                          "unassign")
    return store.append_assignments(events)


def replay_assignments(claim_ids: list[str], events: list[AssignmentEvent]) -> dict[str, Assigned]:
    """Who holds each slot of each claim after the run's events, oldest first. A reviewer holds one slot
    of a claim at most: assigning them to the other slot takes them off the first."""
    held = {cid: Assigned() for cid in claim_ids}
    for event in events:
        for cid in [event.claim_id] if event.claim_id else claim_ids:
            if cid not in held:
                continue
            now = held[cid]
            other: Slot = "second" if event.slot == "first" else "first"
            if event.action == "assign":
                update = {event.slot: event.reviewer}
                if getattr(now, other) == event.reviewer:
                    update[other] = None
                held[cid] = now.model_copy(update=update)
            elif getattr(now, event.slot) == event.reviewer:
                held[cid] = now.model_copy(update={event.slot: None})
    return held


def assignments(store: Store, run_id: str) -> dict[str, Assigned]:
    return replay_assignments(store.claim_ids(run_id), store.assignment_events(run_id=run_id))


# --- the claim's team state ---------------------------------------------------------------------------


class TeamClaim(Strict):
    """One claim as the team sees it: the first decision (review log without editors' finals), the
    assigned second reviewer's latest blind decision, and the editor's final decision if any."""

    claim_id: str
    assigned: Assigned = Field(default_factory=Assigned)
    first: Decision
    second: TeamDecision | None = None
    final: TeamDecision | None = None

    @property
    def status(self) -> Status:
        if self.final is not None:
            return "resolved"
        if not (self.first.reviewed and self.second is not None and self.second.action in ("approve", "reject")):
            return "waiting"
        return "agreed" if self.first.label == self.second.label else "disagreed"


def _first_decision(claim_id: str, reviews, team: list[TeamDecision]) -> Decision:
    finals = {t.review_event_id for t in team if t.kind == "final"}
    return replay(claim_id, [e for e in reviews if e.id not in finals])


def _second_decision(team: list[TeamDecision], second: str | None) -> TeamDecision | None:
    """The assigned second reviewer's latest blind decision (a re-decision replaces theirs)."""
    mine = [t for t in team if t.kind == "second" and t.reviewer == second]
    return mine[-1] if mine else None


def _team_claim(claim_id: str, assigned: Assigned, reviews, team: list[TeamDecision]) -> TeamClaim:
    finals = [t for t in team if t.kind == "final"]
    return TeamClaim(claim_id=claim_id, assigned=assigned, first=_first_decision(claim_id, reviews, team),
                     second=_second_decision(team, assigned.second), final=finals[-1] if finals else None)


def team_claims(store: Store, run_id: str) -> dict[str, TeamClaim]:
    """Every claim of the run that is or was part of a second review (assigned a second reviewer, or
    decided second), article order."""
    held = assignments(store, run_id)
    team: dict[str, list[TeamDecision]] = defaultdict(list)
    for row in store.team_decisions(run_id=run_id):
        team[row.claim_id].append(row)
    reviews = defaultdict(list)
    for event in store.review_events(run_id=run_id):
        reviews[event.claim_id].append(event)
    return {cid: _team_claim(cid, held[cid], reviews[cid], team[cid])
            for cid in held if held[cid].second or team[cid]}


# --- deciding: the blind second decision and the editor's final one ----------------------------------


def _label_of(action: str, machine: Verdict | None, corrected: str | None) -> str | None:
    if action == "approve":
        if machine is None or machine.label is None:
            raise VerifyError("there is no machine verdict to approve: reject it with the right label instead")
        return machine.label.value
    if action == "reject":
        if not corrected:
            raise VerifyError("rejecting a verdict needs the corrected label")
        return Label(corrected).value
    return None


def decide_second(store: Store, *, run_id: str, claim_id: str, reviewer: str, action: SecondAction,
                  machine_verdict: Verdict | None, corrected_label: str | None = None, note: str = "") -> TeamDecision:
    """Record the blind second reviewer's decision. Only the claim's assigned second reviewer may; it
    never touches the first decision (review_events)."""
    reviewer = roles.require((reviewer or "").strip(), "decide")
    if action not in DECIDED:
        raise VerifyError(f"a second review approves, rejects or asks for evidence, not {action!r}")
    label = _label_of(action, machine_verdict, corrected_label)
    role = roles.user(reviewer).role

    def draw_up(log: ClaimLog) -> tuple[TeamDecision, None]:
        held = replay_assignments([claim_id], log.assignments)[claim_id]
        if held.second != reviewer:
            raise roles.PermissionDenied(f"{reviewer} is not the assigned second reviewer of this claim: only "
                                         f"{held.second or 'an assigned second reviewer'} can make the blind decision")
        if any(t.kind == "final" for t in log.team):
            raise VerifyError("an editor has already made the final decision on this claim: nothing to add")
        return TeamDecision(run_id=run_id, claim_id=claim_id, reviewer=reviewer, role=role, kind="second",
                            action=action, label=label, note=note), None

    return store.append_team_decision(run_id=run_id, claim_id=claim_id, draw_up=draw_up)


def resolve(store: Store, *, run_id: str, claim_id: str, editor: str, label: str, note: str = "",
            machine_verdict: Verdict | None = None) -> TeamDecision:
    """The editor's final decision on a disagreement: one review event (approve when `label` is the
    machine's, else reject to it) plus its 'final' team row, written together."""
    who = require_editor(editor, "resolve a disagreement (the final decision)")
    final_label = Label(label).value
    machine = machine_verdict.label.value if machine_verdict and machine_verdict.label else None
    action = "approve" if final_label == machine else "reject"

    def draw_up(log: ClaimLog) -> tuple[TeamDecision, NewReviewEvent]:
        held = replay_assignments([claim_id], log.assignments)[claim_id]
        state = _team_claim(claim_id, held, log.reviews, log.team)
        if state.status != "disagreed":
            raise VerifyError(f"this claim has no open disagreement to resolve ({_status_words(state)})")
        current = replay(claim_id, log.reviews)
        event = NewReviewEvent(reviewer=who.username, action=action, label_before=current.label or machine,
                               label_after=final_label, note=_final_note(state, note),
                               previous_event_id=current.last_event_id)
        return TeamDecision(run_id=run_id, claim_id=claim_id, reviewer=who.username, role=who.role, kind="final",
                            action=action, label=final_label, note=note), event

    return store.append_team_decision(run_id=run_id, claim_id=claim_id, draw_up=draw_up)


def _final_note(state: TeamClaim, note: str) -> str:
    """The review event's note says it is final and what it settled (read in every history and report)."""
    settled = (f"final decision on the disagreement between {state.first.reviewer} ({state.first.label}) "
               f"and {state.second.reviewer} ({state.second.label})")
    return f"{settled}: {note}" if note else settled


def _status_words(state: TeamClaim) -> str:
    return {"waiting": "both reviewers have not decided yet", "agreed": "both reviewers agree",
            "resolved": "an editor already made the final decision", "disagreed": "they disagree"}[state.status]


# --- what a viewer may see ---------------------------------------------------------------------------


def blind_claims(store: Store, run_id: str, viewer: str) -> dict[str, TeamDecision | None]:
    """The claims `viewer` reviews blind (assigned second reviewer, no final decision yet), each with
    their own latest blind decision. Empty for everyone else."""
    viewer = (viewer or "").strip()
    if not viewer:
        return {}
    claims = team_claims(store, run_id)
    return {cid: c.second for cid, c in claims.items() if c.assigned.second == viewer and c.final is None}


def blind_view(decided: dict[str, Decision], blind: dict[str, TeamDecision | None]) -> dict[str, Decision]:
    """The run's decisions as a blind second reviewer may load them: on their claims, only their own
    blind decision (state and label; no history, no first reviewer, no citations). A new dict: the
    shared cached one is never changed."""
    if not blind:
        return decided
    out = dict(decided)
    for cid, mine in blind.items():
        if mine is None:
            out[cid] = Decision(claim_id=cid)
        else:
            state: State = DECIDED[mine.action]
            out[cid] = Decision(claim_id=cid, state=state, label=mine.label, reviewer=mine.reviewer, note=mine.note,
                                decided_at=mine.created_at)
    return out


# --- queues ------------------------------------------------------------------------------------------


class QueueItem(Strict):
    run_id: str
    claim_id: str
    number: int  # 1-based, as the dashboard shows it
    text: str
    slot: Literal["first", "second", "resolve"]


def my_queue(store: Store, username: str) -> list[QueueItem]:
    """`username`'s open assigned claims across runs: first-slot claims not yet approved or rejected,
    second-slot claims without their blind decision; claims merged away or not check-worthy are out."""
    username = (username or "").strip()
    out: list[QueueItem] = []
    by_run: dict[str, list[AssignmentEvent]] = defaultdict(list)
    for event in store.assignment_events(involving=username):
        by_run[event.run_id].append(event)
    for run_id, events in by_run.items():
        claims = _active_claims(store, run_id)
        held = replay_assignments(list(claims), events)
        mine = {cid: held[cid].slot_of(username) for cid in claims if held[cid].slot_of(username)}
        if not mine:
            continue
        team = team_claims(store, run_id)
        firsts = {cid: replay(cid, store.review_events(claim_id=cid)) for cid, s in mine.items() if s == "first"}
        for cid, slot in mine.items():
            done = firsts[cid].reviewed if slot == "first" else (
                cid in team and (team[cid].second is not None and team[cid].second.action != "needs_evidence"
                                 or team[cid].final is not None))
            if not done:
                claim = claims[cid]
                out.append(QueueItem(run_id=run_id, claim_id=cid, number=claim.index + 1, text=claim.text, slot=slot))
    return out


def disagreements(store: Store, run_ids: list[str] | None = None) -> list[QueueItem]:
    """Claims whose first and blind second decisions differ and no editor has settled yet: the editors'
    queue (every run with assignments, or the given ones)."""
    out = []
    for run_id in run_ids if run_ids is not None else store.assigned_run_ids():
        claims = None
        for cid, state in team_claims(store, run_id).items():
            if state.status == "disagreed":
                claims = claims or _active_claims(store, run_id)
                if cid in claims:
                    out.append(QueueItem(run_id=run_id, claim_id=cid, number=claims[cid].index + 1,
                                         text=claims[cid].text, slot="resolve"))
    return out


def _active_claims(store: Store, run_id: str):
    return {cid: e.claim for cid, e in effective_claims(store, run_id).items() if e.status == "active"}


# --- agreement ---------------------------------------------------------------------------------------


class Agreement(Strict):
    """How often two reviewers gave the same label to the claims both decided."""

    pair: tuple[str, ...] = ()  # the two reviewers, sorted; () for a whole run's figure
    n: int  # claims both approved or rejected
    agreed: int
    kappa: float | None  # None: not defined (no claims, or both gave one and the same label throughout)

    @property
    def raw(self) -> float | None:
        return self.agreed / self.n if self.n else None


class RunAgreement(Strict):
    run_id: str
    overall: Agreement
    pairs: list[Agreement]


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels (scikit-learn's); None when it is undefined (chance agreement 1)."""
    if not first:
        return None
    import warnings

    from sklearn.metrics import cohen_kappa_score  # imported here: sklearn takes a second to load

    with warnings.catch_warnings():  # one label only: sklearn warns and gives nan, reported as undefined
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(first, second))
    return None if math.isnan(value) else value


def _agreement(pairs: list[tuple[str, str]], who: tuple[str, ...] = ()) -> Agreement:
    firsts, seconds = [a for a, _ in pairs], [b for _, b in pairs]
    return Agreement(pair=who, n=len(pairs), agreed=sum(a == b for a, b in pairs), kappa=cohen_kappa(firsts, seconds))


def agreement(store: Store, run_id: str) -> RunAgreement:
    """Agreement of the run's first and blind second decisions, over claims both approved or rejected
    (the first decision as it stood before any editor's final), overall and per reviewer pair."""
    both: list[tuple[tuple[str, ...], str, str]] = []
    for state in team_claims(store, run_id).values():
        second = state.second
        if state.first.reviewed and second is not None and second.action in ("approve", "reject"):
            pair = tuple(sorted({state.first.reviewer or "", second.reviewer}))
            both.append((pair, state.first.label or "", second.label or ""))
    by_pair: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for pair, a, b in both:
        by_pair[pair].append((a, b))
    return RunAgreement(run_id=run_id, overall=_agreement([(a, b) for _, a, b in both]),
                        pairs=[_agreement(v, k) for k, v in sorted(by_pair.items())])


def describe(figure: Agreement) -> str:
    """One line: "kappa 0.33 · raw agreement 67% (2 of 3 claims)"."""
    if not figure.n:
        return "no claim decided by both reviewers yet"
    kappa = f"{figure.kappa:.2f}" if figure.kappa is not None else "n/a (one label only)"
    return f"kappa {kappa} · raw agreement {figure.raw:.0%} ({figure.agreed} of {figure.n} claims)"
