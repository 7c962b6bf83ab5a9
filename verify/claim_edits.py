"""Claim editing: claims a person adds, rewords, marks not check-worthy, merges or has re-judged.
Over 300 lines: each claim action (add, reword, mark, merge, publication details) with its checks.

Every change is an append-only event in the store's `claim_events` (who, when, action, before/after);
claim rows are never changed. The effective claim (current wording, check-worthiness, the claim it was
merged into) is replayed from the events, so the original wording and every earlier verdict stay in the
claim's history. A claim added by hand is a new claim row whose span is verified against the article.
Importing this module loads no model code (the dashboard uses it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from . import roles
from .errors import VerifyError
from .models import Claim, Evidence, Span, Strict, Verdict
from .store import Store

# "publication": claimant, claim date, appearance URL, rating name (verify/publication.py); the claim itself is unchanged.
ClaimAction = Literal["add", "edit", "not_check_worthy", "check_worthy", "merge", "unmerge", "rejudge", "publication"]
Status = Literal["active", "not_check_worthy", "merged"]

ACTION_WORDS = {"add": "added from the article", "edit": "wording edited", "not_check_worthy": "marked not check-worthy",
                "check_worthy": "marked check-worthy again", "merge": "merged into another claim",
                "unmerge": "merge undone", "rejudge": "re-judged",
                "publication": "publication details set"}


class ClaimEvent(Strict):
    id: int
    run_id: str
    claim_id: str
    actor: str
    action: ClaimAction
    before: Any = None
    after: Any = None
    note: str = ""
    created_at: str


class EffectiveClaim(Strict):
    """A claim as its events left it. `claim` carries the current wording; the stored row is unchanged."""

    claim: Claim
    original_text: str
    original_text_en: str
    check_worthy: bool = True
    merged_into: str | None = None  # the surviving claim (a chain of merges is followed to its end)
    absorbed: list[str] = Field(default_factory=list)  # claims merged into this one
    added_by: str | None = None  # who added it by hand (None: the extractor found it)
    events: list[ClaimEvent] = Field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.merged_into:
            return "merged"
        return "active" if self.check_worthy else "not_check_worthy"

    @property
    def counted(self) -> bool:
        """In the review queue's counts and the report's numbers: neither merged nor not check-worthy."""
        return self.status == "active"

    @property
    def edited(self) -> bool:
        return self.claim.text != self.original_text or self.claim.text_en != self.original_text_en


# --- replay --------------------------------------------------------------------------------------------


def replay(claims: list[Claim], events: list[ClaimEvent]) -> dict[str, EffectiveClaim]:
    """Fold the run's claim events over its stored claims (article order is kept)."""
    out = {c.id: EffectiveClaim(claim=c, original_text=c.text, original_text_en=c.text_en) for c in claims}
    pointer: dict[str, str | None] = {}
    for event in events:
        item = out.get(event.claim_id)
        if item is None:  # an event of a claim row that could not be read: nothing to apply it to
            continue
        item.events.append(event)
        if event.action == "add":
            item.added_by = event.actor
        elif event.action == "edit":
            item.claim = item.claim.model_copy(update={"text": event.after["text"], "text_en": event.after["text_en"]})
        elif event.action in ("not_check_worthy", "check_worthy"):
            item.check_worthy = event.action == "check_worthy"
        elif event.action in ("merge", "unmerge"):
            pointer[event.claim_id] = event.after.get("merged_into") if event.action == "merge" else None
    for claim_id, survivor in pointer.items():
        if survivor:
            out[claim_id].merged_into = _final(survivor, pointer)
            if out[claim_id].merged_into in out:
                out[out[claim_id].merged_into].absorbed.append(claim_id)
    return out


def _final(claim_id: str, pointer: dict[str, str | None]) -> str:
    seen = {claim_id}
    while pointer.get(claim_id) and pointer[claim_id] not in seen:  # merges are refused in a cycle; stay safe
        claim_id = pointer[claim_id]  # type: ignore[assignment]
        seen.add(claim_id)
    return claim_id


def events_of(store: Store, run_id: str) -> list[ClaimEvent]:
    return [ClaimEvent(**event) for event in store.claim_events(run_id)]


def effective_claims(store: Store, run_id: str) -> dict[str, EffectiveClaim]:
    """Every claim of the run (article order), as its events left it."""
    return replay(store.get_claims(run_id), events_of(store, run_id))


def effective_claim(store: Store, run_id: str, claim_id: str) -> EffectiveClaim:
    claims = effective_claims(store, run_id)
    if claim_id not in claims:
        raise VerifyError(f"claim {claim_id} is not part of run {run_id}: `verify show {run_id}` lists its claims")
    return claims[claim_id]


def resolve_claim(store: Store, run_id: str, ref: str) -> str:
    """A claim id from what a person types: the id itself, or its number as shown (`3` or `#3`)."""
    ids = store.claim_ids(run_id)
    if ref in ids:
        return ref
    number = ref.lstrip("#")
    if number.isdigit() and 1 <= int(number) <= len(ids):
        return ids[int(number) - 1]
    raise VerifyError(f"no claim {ref!r} in run {run_id}: give its number (#3) or id; `verify show {run_id}` lists them")


# --- changes -------------------------------------------------------------------------------------------


def _actor(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise VerifyError("a name is required for every change: enter it under Reviewer")
    return roles.require(name, "edit_claim")  # the role comes from the server's users file


def _current(store: Store, run_id: str, events: list[dict], claim_id: str) -> tuple[EffectiveClaim, dict[str, EffectiveClaim]]:
    claims = _replayed(store, run_id, events)
    return _member(claims, run_id, claim_id), claims


def _replayed(store: Store, run_id: str, events: list[dict]) -> dict[str, EffectiveClaim]:
    """The run's claims as the events read inside a write transaction leave them."""
    return replay(store.get_claims(run_id), [ClaimEvent(**e) for e in events])


def _member(claims: dict[str, EffectiveClaim], run_id: str, claim_id: str) -> EffectiveClaim:
    if claim_id not in claims:
        raise VerifyError(f"claim {claim_id} is not part of run {run_id}; reopen the run and try again")
    return claims[claim_id]


def exact_span(article_text: str, start: int, end: int) -> Span:
    """The span of [start, end) without the whitespace at its ends, checked against the article."""
    if not (0 <= start < end <= len(article_text)):
        raise VerifyError(f"the span {start}-{end} is outside the article (0-{len(article_text)}): choose text in it")
    while start < end and article_text[start].isspace():
        start += 1
    while end > start and article_text[end - 1].isspace():
        end -= 1
    if start == end:
        raise VerifyError("the chosen text is empty: choose the words that state the claim")
    return Span(start=start, end=end)


def add_claim(store: Store, run_id: str, start: int, end: int, actor: str, text: str = "", text_en: str = "",
              note: str = "") -> Claim:
    """A claim a person found in the article: its quote is article[start:end] exactly (trimmed of
    whitespace), its wording defaults to the quote. It has no verdict until it is judged."""
    actor = _actor(actor)
    run = store.get_run(run_id)
    article = store.get_article(run.article_id)
    span = exact_span(article.text, start, end)
    quote = article.text[span.start:span.end]
    wording = " ".join((text or quote).split())
    english = " ".join((text_en or wording).split())
    made: list[Claim] = []

    def new_claim(events: list[dict], index: int) -> Claim:
        for other in _replayed(store, run_id, events).values():
            if other.claim.span == span:
                raise VerifyError(f"claim #{other.claim.index + 1} already covers exactly this text; "
                                  "edit or re-mark that claim instead")
        claim = Claim(id=f"{run_id}-c{index:03d}", run_id=run_id, article_id=article.id, index=index, text=wording,
                      text_en=english, quote=quote, span=span, anchor="exact")
        claim.check_span(article.text)  # exact: the quote is the article's text at the span
        made.append(claim)
        return claim

    def draw_up(events: list[dict]):
        claim = made[0]
        after = {"text": claim.text, "text_en": claim.text_en, "quote": quote, "span": [span.start, span.end]}
        return claim.id, actor, "add", None, after, note

    store.append_claim_event(run_id, draw_up, new_claim=new_claim)
    return made[0]


def edit_wording(store: Store, run_id: str, claim_id: str, actor: str, text: str, text_en: str | None = None,
                 note: str = "") -> ClaimEvent:
    """New wording for a claim (and its English form, used for retrieval); the span and quote stay
    where they are in the article and the earlier wording stays in the event's `before`."""
    actor = _actor(actor)
    text = " ".join((text or "").split())
    if not text:
        raise VerifyError("the claim's wording cannot be empty")

    def draw_up(events: list[dict]):
        item, _ = _current(store, run_id, events, claim_id)
        english = " ".join((text_en if text_en is not None else item.claim.text_en).split()) or text
        before = {"text": item.claim.text, "text_en": item.claim.text_en}
        after = {"text": text, "text_en": english}
        if before == after:
            raise VerifyError("the wording is unchanged: nothing to save")
        return claim_id, actor, "edit", before, after, note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up))


def set_check_worthy(store: Store, run_id: str, claim_id: str, actor: str, worthy: bool, note: str = "") -> ClaimEvent:
    """Mark a claim not check-worthy (it stays listed, out of the counts) or check-worthy again."""
    actor = _actor(actor)

    def draw_up(events: list[dict]):
        item, _ = _current(store, run_id, events, claim_id)
        if item.check_worthy == worthy:
            raise VerifyError(f"claim #{item.claim.index + 1} is already marked "
                              f"{'check-worthy' if worthy else 'not check-worthy'}")
        action = "check_worthy" if worthy else "not_check_worthy"
        return claim_id, actor, action, {"check_worthy": not worthy}, {"check_worthy": worthy}, note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up))


def merge(store: Store, run_id: str, survivor_id: str, absorbed_id: str, actor: str, note: str = "") -> ClaimEvent:
    """`survivor_id` absorbs `absorbed_id` (a duplicate): both are kept; the absorbed claim leaves the
    queue and the counts and points to the survivor. The event is written on the absorbed claim."""
    actor = _actor(actor)

    def draw_up(events: list[dict]):
        absorbed, claims = _current(store, run_id, events, absorbed_id)
        survivor = _member(claims, run_id, survivor_id)
        number = absorbed.claim.index + 1
        if survivor_id == absorbed_id:
            raise VerifyError("a claim cannot absorb itself: choose another claim")
        if absorbed.merged_into:
            raise VerifyError(f"claim #{number} is already merged into claim "
                              f"#{claims[absorbed.merged_into].claim.index + 1}; undo that merge first")
        if survivor.merged_into:
            raise VerifyError(f"claim #{survivor.claim.index + 1} is itself merged into claim "
                              f"#{claims[survivor.merged_into].claim.index + 1}: merge into that one")
        return absorbed_id, actor, "merge", {"merged_into": None}, {"merged_into": survivor_id}, note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up))


def unmerge(store: Store, run_id: str, claim_id: str, actor: str, note: str = "") -> ClaimEvent:
    """Undo a merge: the absorbed claim is back in the queue (a new event; the merge stays in history)."""
    actor = _actor(actor)

    def draw_up(events: list[dict]):
        item, _ = _current(store, run_id, events, claim_id)
        last_merge = next((e for e in reversed(item.events) if e.action in ("merge", "unmerge")), None)
        if last_merge is None or last_merge.action != "merge":
            raise VerifyError(f"claim #{item.claim.index + 1} is not merged into another claim")
        return claim_id, actor, "unmerge", last_merge.after, {"merged_into": None}, note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up))


def record_rejudge(store: Store, run_id: str, claim: Claim, evidence: list[Evidence], verdict: Verdict,
                   actor: str) -> ClaimEvent:
    """Store a re-judged claim's new evidence and verdict and, in the same transaction, the event that
    keeps the verdict it replaces (`before`, whole) beside the new one (`after`)."""
    actor = _actor(actor)
    old = store.verdict_of(claim.id)

    def draw_up(events: list[dict]):
        before = old.model_dump(mode="json") if old else None
        note = f"model {verdict.model}; evidence: {len(evidence)} passage(s); wording judged: {claim.text}"
        return claim.id, actor, "rejudge", before, verdict.model_dump(mode="json"), note

    return ClaimEvent(**store.append_claim_event(run_id, draw_up, judgement=(claim, evidence, verdict)))


def describe(event: ClaimEvent, number_of: dict[str, int] | None = None) -> str:
    """One line for a claim's history: what changed, from what to what."""
    number_of = number_of or {}
    before, after = event.before or {}, event.after or {}
    if event.action == "add":
        return f"added from the article: “{after.get('quote', '')}”"
    if event.action == "edit":
        return f"wording “{before.get('text', '')}” → “{after.get('text', '')}”"
    if event.action in ("merge", "unmerge"):
        target = (after if event.action == "merge" else before).get("merged_into")
        where = f"claim #{number_of[target]}" if target in number_of else str(target)
        return f"merged into {where}" if event.action == "merge" else f"merge into {where} undone"
    if event.action == "rejudge":
        old = (before.get("label") or "failed") if before else "no verdict"
        new = after.get("label") or "failed"
        return f"re-judged by {after.get('model', '?')}: {old} → {new}"
    if event.action == "publication":
        changed = [f"{key.replace('_', ' ')} “{after.get(key, '')}”" for key in after if after.get(key) != before.get(key)]
        return "publication details: " + ("; ".join(changed) or "unchanged")
    return ACTION_WORDS[event.action]
