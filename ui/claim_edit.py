"""Claim editing in the dashboard: add a claim from the article, reword one, mark it not check-worthy,
merge a duplicate into it, re-judge it with the current model, and its edit history.

Every change goes through verify/claim_edits.py as an append-only event. Re-judging runs
`verify rejudge RUN CLAIM` in a child process: the dashboard itself never loads model code
(tests/test_import_graph.py), and a model or library failure comes back as its one `error:` line.
"""

from __future__ import annotations

import subprocess
import sys

import streamlit as st

from ui import state
from ui.activity import local_time
from ui.article_view import FOCUS_KEY
from ui.decision import reviewer
from ui.render import md
from ui.state import Row, RunView
from verify import claim_edits
from verify.errors import VerifyError
from verify.text import split_sentences

REJUDGE_TIMEOUT_S = 900  # a local model on 2 cores can take minutes for one claim


@st.cache_data(show_spinner=False, max_entries=8)
def sentences(article_id: str, text: str, language: str) -> list[tuple[int, int]]:
    return split_sentences(text, language)


def covering(view: RunView, start: int, end: int) -> list[int]:
    """Numbers of the claims whose span overlaps [start, end)."""
    return [c.index + 1 for c in view.claims if c.span and c.span.start < end and start < c.span.end]


def flash(kind: str, text: str) -> None:
    st.session_state["claim_edit_flash"] = (kind, text)


def render_flash() -> None:
    if message := st.session_state.pop("claim_edit_flash", None):
        getattr(st, message[0])(md(message[1]))


def apply(change, success, focus: str | None = None) -> None:
    """Write one change; say what happened; rerun the whole page (article marks and lists change)."""
    try:
        result = change()
    except VerifyError as exc:
        flash("error", str(exc))
    else:
        flash("success", success(result) if callable(success) else success)
        st.session_state[FOCUS_KEY] = focus or result.id  # a claim added: open it
    st.rerun()


# --- adding a claim ------------------------------------------------------------------------------------


def render_add_claim(view: RunView) -> None:
    """A sentence picker (sentences no claim covers first in mind: the default is the first of them),
    then the quote trimmed to the claim's words; its span is computed, never typed."""
    text = view.article.text
    spans = sentences(view.article.id, text, view.article.language)
    with st.expander("Add a claim from the article", expanded=bool(st.session_state.get("add_open"))):
        if not spans:
            st.info("The article has no sentences to choose from.")
            return
        uncovered = next((i for i, (s, e) in enumerate(spans) if not covering(view, s, e)), 0)

        def label(i: int) -> str:
            s, e = spans[i]
            taken = covering(view, s, e)
            short = " ".join(text[s:e].split())
            short = short if len(short) <= 110 else short[:107] + "..."
            return f"{i + 1}. {short}" + (f"  (claim {', '.join(f'#{n}' for n in taken)})" if taken else "")

        i = st.selectbox("Sentence of the article", range(len(spans)), index=uncovered, format_func=label,
                         key="add_sentence", help="Sentences no claim covers are marked by the absence of “(claim #n)”.")
        start, end = spans[i]
        sentence = text[start:end]
        quote = st.text_area("Quote: the exact words that state the claim (trim the sentence if needed)",
                             value=sentence, key=f"add_quote_{i}", height=90)
        wording = st.text_input("Wording (optional: defaults to the quote)", key="add_text")
        english = st.text_input("English form (optional: used for retrieval)", key="add_text_en")
        at = sentence.find(quote.strip()) if quote.strip() else -1
        if at < 0:
            st.error("The quote must be copied from the chosen sentence (trim it, do not retype it).")
        if st.button("Add claim", key="add_claim", disabled=at < 0 or not reviewer(), type="primary",
                     help=None if reviewer() else "Enter your name under Reviewer first."):
            st.session_state["add_open"] = True
            q = quote.strip()
            apply(lambda: claim_edits.add_claim(state.writer(), view.run.id, start + at, start + at + len(q),
                                                reviewer(), wording, english),
                  lambda claim: f"Added claim #{claim.index + 1} from the article; judge it with “Judge this claim” below.")


# --- editing one claim ---------------------------------------------------------------------------------


def render_claim_edits(view: RunView, row: Row) -> None:
    item = view.edits.get(row.claim_id)
    if item is None:
        return
    render_status(view, row, item)
    # Drawn only while open (on_change="rerun" makes .open known): closed, its fields and the run-long
    # merge list cost every decide + next ~100 ms in the browser for a section rarely used.
    box = st.expander(f"Edit claim #{row.number}: wording, check-worthiness, duplicates, re-judge",
                      key=f"edit_open_{row.claim_id}", on_change="rerun")
    if box.open:
        with box:
            if not reviewer():
                st.info("Enter your name under Reviewer to edit claims.")
            render_wording(view, row, item)
            st.divider()
            render_worthiness(view, row, item)
            st.divider()
            render_merge(view, row, item)
            st.divider()
            render_rejudge(view, row)
    render_edit_history(view, item)


def render_status(view: RunView, row: Row, item: claim_edits.EffectiveClaim) -> None:
    number = {cid: e.claim.index + 1 for cid, e in view.edits.items()}
    if item.merged_into:
        st.info(f"Merged into claim #{number.get(item.merged_into, '?')}: out of the queue and the counts (kept, "
                "with its history).")
        if st.button("Undo merge", key=f"unmerge_{row.claim_id}", disabled=not reviewer()):
            apply(lambda: claim_edits.unmerge(state.writer(), view.run.id, row.claim_id, reviewer()),
                  f"Claim #{row.number} is back in the queue.", focus=row.claim_id)
    elif not item.check_worthy:
        st.info("Marked not check-worthy: listed, but out of the counts.")
    if item.absorbed:
        st.caption("Absorbed duplicates: " + ", ".join(f"#{number[c]}" for c in item.absorbed if c in number))
    if item.edited:
        st.caption(f"Wording edited; originally: “{md(item.original_text)}”")
    if item.added_by:
        st.caption(f"Added from the article by {md(item.added_by)}.")


def render_wording(view: RunView, row: Row, item: claim_edits.EffectiveClaim) -> None:
    cid = row.claim_id
    text = st.text_area("Wording", value=item.claim.text, key=f"edit_text_{cid}", height=90)
    english = st.text_input("English form (used for retrieval)", value=item.claim.text_en, key=f"edit_en_{cid}")
    st.caption(f"The span stays on the article's words: “{md(item.claim.quote)}”")
    if st.button("Save wording", key=f"save_wording_{cid}", disabled=not reviewer()):
        apply(lambda: claim_edits.edit_wording(state.writer(), view.run.id, cid, reviewer(), text, english),
              f"Saved the new wording of claim #{row.number} (the earlier one is kept in its history); "
              "re-judge it to check the new wording.", focus=cid)


def render_worthiness(view: RunView, row: Row, item: claim_edits.EffectiveClaim) -> None:
    cid = row.claim_id
    note = st.text_input("Reason (optional)", key=f"worthy_note_{cid}", placeholder="e.g. opinion, not a fact")
    worthy = not item.check_worthy
    label = "Mark check-worthy again" if worthy else "Mark not check-worthy"
    if st.button(label, key=f"worthy_{cid}", disabled=not reviewer()):
        apply(lambda: claim_edits.set_check_worthy(state.writer(), view.run.id, cid, reviewer(), worthy, note),
              f"Claim #{row.number} marked {'check-worthy' if worthy else 'not check-worthy'}.", focus=cid)


def render_merge(view: RunView, row: Row, item: claim_edits.EffectiveClaim) -> None:
    cid = row.claim_id
    others = [c.id for c in view.claims if c.id != cid and not view.edits[c.id].merged_into]
    if item.merged_into or not others:
        return
    number = {c.id: c.index + 1 for c in view.claims}
    texts = {c.id: c.text for c in view.claims}
    absorbed = st.selectbox(f"Duplicate to merge into claim #{row.number}", others, index=None, key=f"merge_{cid}",
                            placeholder="choose the duplicate claim",
                            format_func=lambda other: f"#{number[other]} · {texts[other][:90]}")
    if st.button(f"Merge into claim #{row.number}", key=f"merge_go_{cid}", disabled=absorbed is None or not reviewer()):
        apply(lambda: claim_edits.merge(state.writer(), view.run.id, cid, absorbed, reviewer()),
              f"Claim #{number[absorbed]} merged into claim #{row.number} (both kept).", focus=cid)


def render_rejudge(view: RunView, row: Row) -> None:
    cid = row.claim_id
    label = "Re-judge with the current model" if cid in view.verdicts else "Judge this claim"
    st.caption("Retrieves evidence and asks the model for this claim only, as it reads now; the earlier verdict "
               "is kept in its history.")
    if st.button(label, key=f"claim_rejudge_{cid}", disabled=not reviewer()):
        with st.spinner(f"Judging claim #{row.number}..."):
            ok, message = rejudge(view.run.id, cid, reviewer())
        flash("success" if ok else "error", message)
        st.session_state[FOCUS_KEY] = cid
        st.rerun()


def rejudge(run_id: str, claim_id: str, who: str) -> tuple[bool, str]:
    """`verify rejudge` in a child process, with the dashboard's settings (VERIFY_* environment)."""
    cmd = [sys.executable, "-m", "verify.cli", "rejudge", run_id, claim_id, "--by", who, "--db", state.db_path()]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=REJUDGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"Re-judging took over {REJUDGE_TIMEOUT_S} s and was stopped; nothing was changed."
    said, errors = " ".join(done.stdout.split()), done.stderr.strip()
    if "error:" in errors:  # the CLI's one `error:` line (rich may have wrapped it)
        return False, " ".join(errors[errors.rindex("error:"):].split())
    if done.returncode not in (0, 1) or not said:
        return False, f"error: verify rejudge stopped with code {done.returncode}: {errors[-300:] or 'no output'}"
    return done.returncode == 0, said[0].upper() + said[1:]


def render_edit_history(view: RunView, item: claim_edits.EffectiveClaim) -> None:
    if not item.events:
        return
    number = {cid: e.claim.index + 1 for cid, e in view.edits.items()}
    st.markdown(f"**Claim edits ({len(item.events)})**")
    st.dataframe([{"when": local_time(e.created_at), "who": e.actor,
                   "change": claim_edits.describe(e, number), "note": e.note} for e in item.events],
                 hide_index=True, width="stretch", key=f"claim_edits_{item.claim.id}")
