"""Report downloads: the same citation report as `verify report` (verify.report), in every format,
with the CLI's options (--only-reviewed, --only-approved, --exclude-rejected, --no-bom,
--organization, --publish-url)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import blind, state
from ui.decision import reviewer
from ui.render import md
from verify.errors import VerifyError
from verify.roles import require
from verify.markup import safe_url
from verify.report import render_report
from verify.vocabulary import REPORT_FORMATS


def formats() -> list[str]:
    return list(REPORT_FORMATS)


def report_bytes(store, run_id: str, fmt: str, options: dict | None = None) -> bytes:
    """Built when the reviewer clicks download (a deferred download), not on every rerun: a report of
    500 claims takes about a second, and every decision would otherwise rebuild it."""
    return render_report(store, run_id, fmt, **(options or {}))


def chosen_options(fmt: str) -> dict:
    """The CLI's report options, as widgets; each returns the keyword `render_report` takes."""
    which = st.radio("Claims", ["All claims", "Only reviewed", "Only approved"], key="export_which",
                     horizontal=True, help="Reviewed = approved or rejected by a reviewer (--only-reviewed, "
                     "--only-approved).")
    options = {"only_reviewed": which == "Only reviewed", "only_approved": which == "Only approved",
               "include_rejected": not st.checkbox(
                   "Leave out rejected machine verdicts", key="export_exclude_rejected",
                   help="The claim keeps the reviewer's label, note and citations; the machine's rejected verdict, "
                   "rationale and citations are left out (--exclude-rejected).")}
    if fmt == "csv":
        options["bom"] = st.checkbox("Byte-order mark for Excel", value=True, key="export_bom",
                                     help="Without it Excel garbles accented letters (--no-bom drops it).")
    if fmt == "claimreview":
        options["organization"] = st.text_input("Organization", key="export_organization",
                                                help="Publishing fact-checker; empty: the reviewer is the author.")
        options["publish_url"] = st.text_input("Publish URL", key="export_publish_url",
                                               help="Page the reviews will be published on (each gets #claim-N).")
        options["publish"] = st.checkbox("Publishable: check every property ClaimReview needs", key="export_publish",
                                         help="Refused, naming what each claim lacks, until organization, publish URL "
                                         "and every claim's publication details are set (--publish).")
    return options


def render_export(run_id: str) -> None:
    st.markdown("**Export report**")
    if blind.hides_report(state.store(), state.db_path(), run_id):  # a report shows every decision
        st.caption("Available once your blind second review of this run is settled.")
        return
    fmt = st.selectbox("Format", formats(), key="export_format")
    options = chosen_options(fmt)
    url = options.get("publish_url", "").strip()
    if url and not safe_url(url):
        st.error("error: the publish URL must start with http:// or https://; fix it to download.")
        return
    if fmt == "claimreview" and not url:
        st.warning("No publish URL: each item's url is a placeholder (urn:verify:...) that search engines and "
                   "fact-check tools do not accept.")
    data = partial(report_bytes, state.store(), run_id, fmt, options)
    if options.get("publish"):  # checked now, so what is missing is listed before any download
        try:
            require(reviewer(), "publish")  # only an editor publishes (verify/roles.py)
            data = data()
        except VerifyError as exc:
            st.error(md(f"error: {exc}"))
            return
    suffix, mime = REPORT_FORMATS[fmt]  # the suffix `verify report -o` reads the same format from
    # The callable runs outside the script thread: it gets the Store object, not Streamlit state.
    st.download_button(f"Download {fmt} report", data,
                       file_name=f"verify-{run_id}{suffix}", mime=mime, key="download_report", on_click="ignore",
                       width="stretch")
