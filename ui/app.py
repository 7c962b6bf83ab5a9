"""verify review dashboard: `verify ui` or `streamlit run ui/app.py`.

Reads the store at VERIFY_DB (default ./verify.db). A rerun only reads SQLite: no LLM call and no
embedding happens here; the only writes are review events.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ (not the repo root) on sys.path; the page modules import as `ui.*`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui import activity, article_view, auth, claim_edit, claim_panel, claims_table, decision, export, keys, runs_page, sidebar, state  # noqa: E402
from ui import evidence_card, memory_panel  # noqa: E402
from ui import publication_form  # noqa: E402
from ui import agreement, assignment, my_queue, second_review  # noqa: E402
from ui.render import STYLE, md  # noqa: E402
from verify.errors import VerifyError  # noqa: E402
from verify.review import Decision  # noqa: E402
from verify.vocabulary import DEMO_GRADE_WARNING  # noqa: E402


def back_to_runs() -> None:
    st.session_state.pop("run_id", None)
    st.session_state.pop("conflict", None)
    # Not .clear(): the search and filter parameters are bound to their widgets (Streamlit refuses to clear
    # them) and leave the URL by themselves once the runs page no longer draws those widgets.
    for name in ("run", "claim"):
        st.query_params.pop(name, None)


def current_run_id() -> str | None:
    # The query parameter makes a run page bookmarkable and survive a browser reload.
    run_id = st.session_state.get("run_id") or st.query_params.get("run")
    if run_id:
        st.session_state["run_id"] = run_id
    return run_id


# On a phone the columns stack: the review pane (claim, evidence, decision) comes first and the article box
# is shorter, so the claim is not 1,250 px down below the article. (:has() finds the pane's column.)
PHONE_STYLE = """<style>
@media (max-width: 640px) {
  [data-testid="stColumn"]:has(.st-key-claim_top) { order: -1; }
  .st-key-article_box { height: 45vh !important; }
}
</style>"""


def run_page(run_id: str) -> None:
    view, decided, _ = state.load_run(run_id)
    rows = state.rows(view, decided)
    st.sidebar.button("← All runs", key="back", on_click=back_to_runs, width="stretch")
    shown = sidebar.render_filters(run_id)
    with st.sidebar:
        export.render_export(run_id)
    assignment.render(view)  # editors: assign the run or claims (and a blind second reviewer)

    st.markdown(f"### Run {md(run_id)}")
    st.caption(f"model {md(view.run.settings.model)} · started {md(activity.local_time(view.run.created_at))} · "
               f"status {md(view.run.status)} · "
               f"prompts {md(view.run.settings.extract_prompt)}, {md(view.run.settings.judge_prompt)}")
    if view.demo_grade:
        st.warning(f"Demo-grade model: {md(DEMO_GRADE_WARNING)} Review every verdict with that in mind.", icon="⚠️")
    if view.run.status == "failed":  # claims of the failed part are missing: the list is not the article's
        errors = view.run.summary.get("extraction_errors") or ["see `verify show`"]
        st.error(f"Claim extraction failed for part of this article, so claims are missing ({md(errors[0])}). "
                 f"Fix the model endpoint, then run: verify run \\-\\-resume {md(run_id)}")
    agreement.render(run_id)  # second-review agreement (kappa, raw), hidden from a blind second reviewer
    mode = claims_table.view_switch()  # Review / All claims / Activity, kept in the URL (?view=)
    if mode != claims_table.REVIEW:
        sidebar.render_progress(rows)  # in the review view the review pane draws it (kept fresh there)
        claims_table.render_view(mode, view, rows, shown, decided)
        return
    st.html(PHONE_STYLE)
    keys.install()  # the keyboard handler, once per page run (the form sends only its configuration)
    left, right = st.columns([3, 2], gap="medium")
    with right:
        focus = review_pane(run_id, [r.claim_id for r in shown])
    with left:
        article_view.render_article(view, rows, focus)
        claim_edit.render_add_claim(view)  # a claim the extractor missed, picked from the article


@st.fragment(key="review")
def review_pane(run_id: str, shown_ids: list[str]) -> str | None:
    """The open claim, its decision form and history, and the review progress. A fragment: choosing a
    decision, submitting it or stepping to another claim reruns only this pane (not the article and the
    filters); the article's focus mark follows by script (ui/keys.py). The filtered list is the one the
    last full run drew (a filter change is a full run)."""
    view, decided, _ = state.load_run(run_id)
    rows = state.rows(view, decided)
    listed = set(shown_ids)
    shown = [r for r in rows if r.claim_id in listed]
    sidebar.render_progress(rows)
    article_view.render_recolour(rows)  # the article is not redrawn when only this pane reruns
    with st.container(key="claim_top"):  # where the page scrolls to when a new claim opens
        focus = article_view.select_claim(view, shown, rows)
        decision.render_flash()
        claim_edit.render_flash()
    if focus is not None:
        row = next(r for r in rows if r.claim_id == focus)
        current = decided.get(focus) or Decision(claim_id=focus)  # a claim saved after the cached read
        claim_panel.render_claim(view, row, current)
        memory_panel.render_suggestions(view, row, current, shown_ids)  # decided before, in another run
        st.divider()
        if not second_review.render(view, row, shown_ids):  # the blind second review, an editor's final decision
            decision.render_form(view, row, current, shown_ids)
        claim_panel.render_sources(view, row)  # the passages and adding a source, below the form
        activity.render_claim_history(current)
        claim_edit.render_claim_edits(view, row)  # reword, not check-worthy, merge, re-judge; edit history
        publication_form.render_publication(view, row)  # claimant, claim date, appearance, rating (ClaimReview)
    return focus


def main() -> None:
    st.set_page_config(page_title="verify · review", page_icon="✅", layout="wide")
    st.html(STYLE)  # st.html is not iframed: one stylesheet serves every highlight on the page
    st.html(evidence_card.CARD_STYLE)  # here, not in the review pane: a decision need not send it again
    if not auth.render_identity():  # login form, or a refusal: nothing else on the page
        return
    if not state.store_exists():  # never create one: a typo in --db would leave an empty store behind
        st.error(md(f"No verify store at {state.db_path()}. Check --db or VERIFY_DB; `verify run` creates the "
                    "store. Then reload this page."))
        return
    run_id = current_run_id()
    try:
        if run_id:
            run_page(run_id)
        else:
            my_queue.render()  # the signed-in reviewer's open assigned claims
            runs_page.render()
    except VerifyError as exc:  # a missing run or a locked store: say so and offer the way back
        st.error(md(str(exc)))
        st.button("Back to all runs", key="back_error", on_click=back_to_runs)


main()
