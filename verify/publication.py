"""Publication details of a claim: who made it (the claimant), when, where it appeared, and which name of
the newsroom's rating scale it is published with. ClaimReview needs them (itemReviewed.author,
itemReviewed.datePublished, itemReviewed.appearance, reviewRating.alternateName) and the article rarely
says them all, so a person sets them: `verify claim-meta` or the dashboard's *Publication details*.

They are append-only claim events (action "publication", verify/claim_edits.py): who set what and when
stays in the claim's history, and the latest event of each claim is its current details. Importing this
module loads no model code (the dashboard uses it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Literal

from pydantic import Field

from .claim_edits import ClaimEvent, _actor, _current, events_of
from .errors import VerifyError
from .markup import safe_url
from .models import ClaimProposal, Strict
from .rating_scale import RatingScale
from .store import Store

ClaimantKind = Literal["person", "organization"]
FIELDS = ("claimant", "claimant_kind", "claim_date", "appearance_url", "rating")


class ClaimPublication(Strict):
    """What ClaimReview says about the claim itself; empty text means not set."""

    claimant: str = Field("", description="Who made the claim (ClaimReview itemReviewed.author).")
    claimant_kind: ClaimantKind = Field("person", description="person | organization (the author's @type).")
    claim_date: str = Field("", description="When the claim was made, YYYY-MM-DD (itemReviewed.datePublished).")
    appearance_url: str = Field("", description="Where the claim appeared, http(s) (itemReviewed.appearance); "
                                "empty: the article's own URL stands for it.")
    rating: str = Field("", description="Name on the rating scale; empty: the scale's only name for the verdict.")


def details_from(events: list[ClaimEvent]) -> ClaimPublication:
    """A claim's current details: the `after` of its latest publication event (none: all unset)."""
    latest = next((e for e in reversed(events) if e.action == "publication"), None)
    return ClaimPublication(**latest.after) if latest else ClaimPublication()


def publication_details(store: Store, run_id: str) -> dict[str, ClaimPublication]:
    """Every claim of the run that has publication details, by claim id."""
    by_claim: dict[str, list[ClaimEvent]] = {}
    for event in events_of(store, run_id):
        if event.action == "publication":
            by_claim.setdefault(event.claim_id, []).append(event)
    return {claim_id: details_from(events) for claim_id, events in by_claim.items()}


def set_details(store: Store, run_id: str, claim_id: str, actor: str, scale: RatingScale | None = None,
                note: str = "", **changes: str | None) -> ClaimEvent:
    """Change some of a claim's details (a value None is left as it is, "" clears it); each value is checked
    before anything is written. Appends one publication event with the details before and after."""
    actor = _actor(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise VerifyError(f"unknown publication detail(s) {sorted(unknown)}: use {', '.join(FIELDS)}")
    checked = {key: _checked(key, value, scale) for key, value in changes.items() if value is not None}

    def draw_up(events: list[dict]):
        item, _ = _current(store, run_id, events, claim_id)
        before = details_from(item.events)
        after = before.model_copy(update=checked)
        if after == before:
            raise VerifyError(f"the publication details of claim #{item.claim.index + 1} are unchanged: nothing to save")
        return claim_id, actor, "publication", before.model_dump(), after.model_dump(), note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up))


PROPOSED = ("claimant", "claim_date", "appearance_url")


def pending(proposal: ClaimProposal | None, current: ClaimPublication) -> dict[str, str]:
    """The proposed values of the details not set yet (a set value is never replaced by a proposal)."""
    if proposal is None:
        return {}
    return {key: getattr(proposal, key) for key in PROPOSED if getattr(proposal, key) and not getattr(current, key)}


def _who(by: str) -> str:
    """ "the article", or the model that proposed it (its id is stored)."""
    return by if by in ("", "the article") else f"the model {by}"


def proposers(proposal: ClaimProposal) -> str:
    """Who proposed the values: the model and/or the article."""
    names = [_who(proposal.claimant_by) if proposal.claimant else "",
             _who(proposal.claim_date_by) if proposal.claim_date else "",
             "the article" if proposal.appearance_url else ""]
    return " and ".join(dict.fromkeys(name for name in names if name)) or "the article"


def describe(proposal: ClaimProposal | None) -> str:
    """One line: what was proposed and by whom ("" when nothing was)."""
    if proposal is None:
        return ""
    parts = [(f"claimant: {proposal.claimant} (by {_who(proposal.claimant_by)})" if proposal.claimant else ""),
             (f"claim date: {proposal.claim_date} (by {_who(proposal.claim_date_by)})" if proposal.claim_date else ""),
             (f"appearance url: {proposal.appearance_url} (by the article)" if proposal.appearance_url else "")]
    return "; ".join(part for part in parts if part)


def use_proposal(store: Store, run_id: str, claim_id: str, actor: str, proposal: ClaimProposal | None,
                 current: ClaimPublication) -> ClaimEvent:
    """The editor confirms the proposed details not set yet: one ordinary publication event by the editor."""
    values = pending(proposal, current)
    if not values:
        raise VerifyError("there is no proposed detail left to confirm: set the details by hand")
    return set_details(store, run_id, claim_id, actor, note=f"confirmed the proposal by {proposers(proposal)}", **values)


def _checked(key: str, value: str, scale: RatingScale | None) -> str:
    value = " ".join(value.split())
    if not value:
        return "person" if key == "claimant_kind" else ""
    if key == "claim_date":
        return claim_date(value)
    if key == "appearance_url" and not safe_url(value):
        raise VerifyError(f"the appearance URL {value!r} must start with http:// or https://: give the address "
                          "of the page, post or video where the claim appeared")
    if key == "claimant_kind" and value not in ("person", "organization"):
        raise VerifyError(f"the claimant kind {value!r} is not valid: use person or organization")
    if key == "rating" and scale is not None:
        rating = scale.find(value)
        if rating is None:
            raise VerifyError(f"rating {value!r} is not on the rating scale: use one of {scale.listing()}")
        return rating.name
    return value


def claim_date(text: str) -> str:
    """A claim date as YYYY-MM-DD; a date in the future (beyond the world's latest time zone) is refused."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise VerifyError(f"the claim date {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-03-14") from None
    if day > (datetime.now(timezone.utc) + timedelta(hours=14)).date():
        raise VerifyError(f"the claim date {day.isoformat()} is in the future: give the day the claim was made")
    return day.isoformat()
