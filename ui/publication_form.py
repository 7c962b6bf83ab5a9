"""Publication details of the open claim, for the ClaimReview export: who made the claim, when, where it
appeared, and the name of the newsroom's rating scale it is published with. The same details as
`verify claim-meta`; each save is an append-only claim event (verify/publication.py) listed under
*Claim edits*."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.claim_edit import apply
from ui.decision import reviewer
from ui.render import md
from ui.state import Row, RunView
from verify import publication
from verify.errors import VerifyError
from verify.rating_scale import RatingScale, load_scale

ONLY_NAME = "(the scale's only name for the reviewer's verdict)"


def scale_or_error() -> RatingScale | None:
    """The configured rating scale; a broken VERIFY_RATING_SCALE is shown, not raised (the page still works)."""
    try:
        return load_scale()
    except VerifyError as exc:
        st.error(md(f"error: {exc}"))
        return None


def render_publication(view: RunView, row: Row) -> None:
    item = view.edits.get(row.claim_id)
    if item is None:
        return
    current = publication.details_from(item.events)
    unset = [name for name, value in (("claimant", current.claimant), ("claim date", current.claim_date)) if not value]
    title = f"Publication details of claim #{row.number} (ClaimReview)" + (f": {', '.join(unset)} not set" if unset else "")
    box = st.expander(title, key=f"pub_open_{row.claim_id}", on_change="rerun")  # drawn only while open
    if not box.open:  # (as the claim editor: closed, its form cost every decide + next in the browser)
        return
    with box:
        scale = scale_or_error()
        proposed = publication.pending(item.claim.proposal, current)
        if proposed:
            render_proposal(view, row, item.claim.proposal, current)
        with st.form(key=f"publication_{row.claim_id}", border=False):
            claimant = st.text_input("Claimant: who made the claim", value=current.claimant or proposed.get("claimant", ""),
                                     key=f"pub_claimant_{row.claim_id}")
            kind = st.radio("The claimant is", ["person", "organization"], horizontal=True, key=f"pub_kind_{row.claim_id}",
                            index=0 if current.claimant_kind == "person" else 1)
            claim_date = st.text_input("Claim date (YYYY-MM-DD): when the claim was made",
                                       value=current.claim_date or proposed.get("claim_date", ""), key=f"pub_date_{row.claim_id}")
            url = st.text_input("Where the claim appeared (http/https; empty: the article's own address)",
                                value=current.appearance_url or proposed.get("appearance_url", ""), key=f"pub_url_{row.claim_id}")
            rating = rating_choice(scale, current.rating, row.claim_id)
            saved = st.form_submit_button("Save publication details", disabled=not reviewer() or scale is None,
                                          help=None if reviewer() else "Enter your name under Reviewer first.")
        if saved:
            apply(lambda: publication.set_details(state.writer(), view.run.id, row.claim_id, reviewer(), scale=scale,
                                                  claimant=claimant, claimant_kind=kind, claim_date=claim_date,
                                                  appearance_url=url, rating="" if rating == ONLY_NAME else rating),
                  f"Saved the publication details of claim #{row.number}.", focus=row.claim_id)


def render_proposal(view: RunView, row: Row, proposal, current: publication.ClaimPublication) -> None:
    """Proposed details are prefilled below but not set: the export publishes only what an editor confirms,
    here with one click (or by saving the form)."""
    st.info(md(f"Proposed by {publication.proposers(proposal)}, not confirmed yet: {publication.describe(proposal)}. "
               "It is not published until you confirm it."))
    if st.button("Use proposal", key=f"pub_use_{row.claim_id}", disabled=not reviewer(),
                 help=None if reviewer() else "Enter your name under Reviewer first."):
        apply(lambda: publication.use_proposal(state.writer(), view.run.id, row.claim_id, reviewer(), proposal, current),
              f"Confirmed the proposed publication details of claim #{row.number}.", focus=row.claim_id)


def rating_choice(scale: RatingScale | None, chosen: str, claim_id: str) -> str:
    """The rating name: needed when the scale has several names for one verdict (VERIFY_RATING_SCALE)."""
    names = [ONLY_NAME] + [r.name for r in scale.ratings] if scale else [ONLY_NAME]
    words = {r.name: f"{r.name} ({r.verdict.value}, {r.value})" for r in scale.ratings} if scale else {}
    return st.selectbox("Rating name", names, index=names.index(chosen) if chosen in names else 0,
                        format_func=lambda name: words.get(name, name), key=f"pub_rating_{claim_id}",
                        help="Each name of the newsroom's scale with the verdict it means and its ClaimReview value.")
