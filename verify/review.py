"""Review decisions as an append-only event log.

Actions: approve (the machine verdict stands), reject (with the corrected label), needs_evidence,
undo (reverts the latest decision still in force) and reopen (back to unreviewed). Events are never
updated or deleted; the current decision of a claim is derived by replaying its events.

Two reviewers cannot silently overwrite each other: a decision carries the claim id and the id of the
last event of that claim the reviewer saw (`expected_last_event`), both fixed when the decision form was
shown. If another event was written since, ReviewConflict is raised so the second reviewer can look
again and confirm, unless both made the same decision (same action and label), which is simply recorded.
An event is only ever written on the claim the form was shown for.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import Field

from . import roles
from .errors import VerifyError
from .models import (Chunk, CitationStance, Label, NewReviewEvent, ReviewAction, ReviewCitation, ReviewEvent, Sentence,
                     Strict, Verdict)
from .store import Store

Action = ReviewAction
State = Literal["unreviewed", "approved", "rejected", "needs_evidence"]


class ReviewConflict(VerifyError):
    """Someone else decided this claim after the reviewer loaded it."""

    def __init__(self, message: str, latest: "ReviewEvent"):
        super().__init__(message)
        self.latest = latest


class Decision(Strict):
    """The state of one claim after replaying its events."""

    claim_id: str
    state: State = "unreviewed"
    label: str | None = None  # reviewer's label (approved: the machine's; rejected: the corrected one)
    reviewer: str | None = None
    note: str = ""
    decided_at: str | None = None
    last_event_id: int | None = None
    history: list[ReviewEvent] = Field(default_factory=list)
    citations: list[ReviewCitation] = Field(default_factory=list)  # reviewer citations in force, oldest first

    @property
    def reviewed(self) -> bool:
        return self.state in ("approved", "rejected")


DECIDED: dict[str, State] = {"approve": "approved", "reject": "rejected", "needs_evidence": "needs_evidence"}


def _state_of(event: ReviewEvent) -> State:
    return DECIDED.get(event.action, "unreviewed")


def replay(claim_id: str, events: list[ReviewEvent]) -> Decision:
    """Fold events into the current decision; undo pops the latest decision still in force."""
    stack: list[ReviewEvent] = []
    for event in events:
        if event.action == "undo":
            if stack:
                stack.pop()
        elif event.action == "reopen":
            stack.append(event)
        else:
            stack.append(event)
    last_id = events[-1].id if events else None
    top = stack[-1] if stack else None
    if top is None or top.action == "reopen":
        return Decision(claim_id=claim_id, last_event_id=last_id, history=events)
    return Decision(claim_id=claim_id, state=_state_of(top), label=top.label_after, reviewer=top.reviewer,
                    note=top.note, decided_at=top.created_at, last_event_id=last_id, history=events)


def events_for(store: Store, *, run_id: str | None = None, claim_id: str | None = None) -> list[ReviewEvent]:
    return store.review_events(run_id=run_id, claim_id=claim_id)


def decisions(store: Store, run_id: str) -> dict[str, Decision]:
    """Current decision of every claim of a run (claims without events are unreviewed)."""
    return decisions_read(store, run_id).decisions


class DecisionsRead(NamedTuple):
    """A run's decisions and the last review event and citation event they include."""

    decisions: dict[str, Decision]
    last_event: int
    last_citation: int


def decisions_read(store: Store, run_id: str, previous: DecisionsRead | None = None) -> DecisionsRead:
    """Every claim's current decision. Given an earlier read of the same run, only the claims with review
    or citation events written since are replayed, the others are kept as they were: the dashboard
    reads a run's decisions after every decision, and replaying a whole 500-claim run each time took
    ~25 ms of it. The log is append-only and its ids follow commit order, so nothing older can appear."""
    ids = store.claim_ids(run_id)
    if previous is None:
        events, citations = store.review_events(run_id=run_id), store.review_citations(run_id=run_id)
        touched = set(ids)
    else:
        new_events = store.review_events(run_id=run_id, after=previous.last_event)
        new_citations = store.review_citations(run_id=run_id, after=previous.last_citation)
        touched = {e.claim_id for e in new_events} | {c.claim_id for c in new_citations}
        touched |= {cid for cid in ids if cid not in previous.decisions}  # claims added since
        events = [e for cid in sorted(touched) for e in store.review_events(claim_id=cid)]
        citations = [c for cid in sorted(touched) for c in store.review_citations(claim_id=cid)]
    by_claim: dict[str, list[ReviewEvent]] = {}
    for event in events:
        by_claim.setdefault(event.claim_id, []).append(event)
    cited: dict[str, list[ReviewCitation]] = {}
    for citation in citations:  # oldest first within each claim, as read
        cited.setdefault(citation.claim_id, []).append(citation)
    kept = previous.decisions if previous else {}
    # Citations are replayed claim by claim: the same sentence may be cited for two claims.
    out = {cid: replay(cid, by_claim.get(cid, [])).model_copy(update={"citations": in_force(cited.get(cid, []))})
           if cid in touched else kept[cid] for cid in ids}
    last_event = max([previous.last_event if previous else 0, *(e.id for e in events)])
    last_citation = max([previous.last_citation if previous else 0, *(c.id for c in citations)])
    return DecisionsRead(out, last_event, last_citation)


def decide(
    store: Store, *, run_id: str, claim_id: str, reviewer: str, action: Action,
    machine_verdict: Verdict | None, corrected_label: Label | str | None = None, note: str = "",
    expected_last_event: int | None = None, force: bool = False,
) -> ReviewEvent:
    """Append one decision event on `claim_id`, atomically checking nobody else decided in between."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise VerifyError("a reviewer name is required")
    roles.require(reviewer, "decide")  # the role comes from the server's users file, never from the caller
    _refuse_blind_first_pass(store, run_id, claim_id, reviewer)
    if action == "reject" and not corrected_label:
        raise VerifyError("rejecting a verdict needs the corrected label")
    corrected = Label(corrected_label).value if corrected_label else None
    machine = machine_verdict.label.value if machine_verdict and machine_verdict.label else None

    def draw_up(events: list[ReviewEvent]) -> NewReviewEvent:
        """Runs inside the store's write transaction: nobody can decide this claim meanwhile."""
        current = replay(claim_id, events)
        after = _label_after(action, events, machine, corrected)
        changed = current.last_event_id != expected_last_event
        if changed and not force and not _same_decision(current, action, after):
            latest = events[-1]
            raise ReviewConflict(
                f"{latest.reviewer} changed this claim ({latest.action}, {latest.created_at}) after you opened it; "
                "review their decision and confirm to override it",
                latest,
            )
        if _overrides(current, reviewer, action, after):  # checked on the claim as it is now, in the transaction
            roles.require(reviewer, "override", f"{current.reviewer}'s {current.state} decision on this claim")
        before = current.label if current.state != "unreviewed" else machine
        return NewReviewEvent(reviewer=reviewer, action=action, label_before=before, label_after=after, note=note,
                              previous_event_id=current.last_event_id)

    return store.append_review_event(run_id=run_id, claim_id=claim_id, expected_last_event=expected_last_event,
                                     draw_up=draw_up)


def _refuse_blind_first_pass(store: Store, run_id: str, claim_id: str, reviewer: str) -> None:
    """A claim's blind second reviewer decides it only through the second-review form: a first-pass
    decision from them (a crafted request: the page never offers it) would be counted as the first review."""
    if not store.assignment_events(run_id=run_id):  # no team assignment on this run: one query, nothing more
        return
    from .team import blind_claims  # verify.team builds on this module

    if claim_id in blind_claims(store, run_id, reviewer):
        raise roles.PermissionDenied(f"{reviewer} is the blind second reviewer of this claim: decide it in the "
                                     "second-review form, not as its first reviewer")


def _label_after(action: Action, events: list[ReviewEvent], machine: str | None, corrected: str | None) -> str | None:
    """The claim's effective label once `action` is applied to the claim's `events`."""
    if action == "approve":
        return machine
    if action == "reject":
        return corrected
    if action == "needs_evidence":
        return None
    if action == "undo" and events:
        first = events[0]
        undone = replay(first.claim_id, events + [_probe(first.claim_id, first.run_id)])
        return undone.label if undone.state != "unreviewed" else machine
    return machine  # reopen, or undo with nothing to undo


def _same_decision(current: Decision, action: Action, after: str | None) -> bool:
    """Two reviewers reaching the same decision (same action, same label) agree: nothing to resolve."""
    return action in DECIDED and current.state == DECIDED[action] and current.label == after


def _overrides(current: Decision, reviewer: str, action: Action, after: str | None) -> bool:
    """Whether this event changes (or undoes) an approval or rejection someone else made: an editor's call.
    Agreeing with it, or deciding a claim another reviewer sent back for more evidence, is not."""
    theirs = (current.reviewer or "").strip().casefold() != reviewer.casefold()
    return current.reviewed and theirs and not _same_decision(current, action, after)


def _probe(claim_id: str, run_id: str) -> ReviewEvent:
    """A throwaway undo event, to compute what an undo would leave in force."""
    return ReviewEvent(id=-1, run_id=run_id, claim_id=claim_id, reviewer="", action="undo", label_before=None,
                       label_after=None, created_at="")


# --- reviewer citations ---------------------------------------------------------------------------------


def in_force(events: list[ReviewCitation]) -> list[ReviewCitation]:
    """The reviewer citations in force, replayed oldest first: a cite of a sentence already cited replaces
    that citation (re-marking it as refuting instead of supporting leaves one), a withdraw removes it."""
    latest: dict[tuple[str, int, str], ReviewCitation] = {}
    for event in events:
        key = (event.chunk_id, event.sentence_index, event.text)
        if event.action == "cite":
            latest.pop(key, None)  # re-inserted last: in force in the order last cited
            latest[key] = event
        elif key in latest and latest[key].id == event.withdraws:
            del latest[key]
    return list(latest.values())


def citations_of(store: Store, claim_id: str) -> list[ReviewCitation]:
    """The reviewer citations of one claim in force now (read fresh: the dashboard shows them at once)."""
    return in_force(store.review_citations(claim_id=claim_id))


def cite(store: Store, *, run_id: str, claim_id: str, reviewer: str, stance: CitationStance, chunk: Chunk,
         sentence: Sentence, origin: str = "retrieved", note: str = "") -> ReviewCitation:
    """Record that `reviewer` cites `sentence` of `chunk` as supporting or refuting the claim."""
    reviewer = roles.require(_reviewer(reviewer), "cite")
    if stance not in ("supports", "refutes"):
        raise VerifyError(f"a citation supports or refutes the claim, not {stance!r}")
    return store.append_review_citation(ReviewCitation(
        id=0, run_id=run_id, claim_id=claim_id, reviewer=reviewer, action="cite", stance=stance,
        chunk_id=chunk.id, source_id=chunk.source.source_id, sentence_index=sentence.index, text=sentence.text,
        start=sentence.start, end=sentence.end, origin=origin, source=chunk.source, note=note, created_at=""))


def withdraw(store: Store, *, citation: ReviewCitation, reviewer: str) -> ReviewCitation:
    """Take back a reviewer citation (an event too: the citation stays in the log, marked withdrawn).
    Withdrawing someone else's citation overrides them: an editor's call when roles are on."""
    reviewer = roles.require(_reviewer(reviewer), "cite")
    if citation.reviewer.strip().casefold() != reviewer.casefold():
        roles.require(reviewer, "override", f"the citation is {citation.reviewer}'s")
    return store.append_review_citation(ReviewCitation(
        id=0, run_id=citation.run_id, claim_id=citation.claim_id, reviewer=reviewer, action="withdraw",
        chunk_id=citation.chunk_id, source_id=citation.source_id, sentence_index=citation.sentence_index,
        text=citation.text, withdraws=citation.id, created_at=""))


def _reviewer(name: str) -> str:
    if not name.strip():
        raise VerifyError("a reviewer name is required: type it in the sidebar")
    return name.strip()
