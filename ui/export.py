"""Report downloads: the same citation report as `verify report` (verify.report), in every format."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import state
from verify.report import FORMATS, render_report

FILES = {  # format -> (file suffix, MIME type)
    "md": (".md", "text/markdown"),
    "html": (".html", "text/html"),
    "json": (".json", "application/json"),
    "csv": (".csv", "text/csv"),
    "claimreview": (".claimreview.json", "application/ld+json"),
}


def formats() -> list[str]:
    return [fmt for fmt in FORMATS if fmt in FILES]


def report_bytes(store, run_id: str, fmt: str) -> bytes:
    """Built when the reviewer clicks download (a deferred download), not on every rerun: a report of
    500 claims takes about a second, and every decision would otherwise rebuild it."""
    return render_report(store, run_id, fmt)


def render_export(run_id: str) -> None:
    st.markdown("**Export report**")
    fmt = st.selectbox("Format", formats(), key="export_format")
    suffix, mime = FILES[fmt]
    # The callable runs outside the script thread: it gets the Store object, not Streamlit state.
    st.download_button(f"Download {fmt} report", partial(report_bytes, state.store(), run_id, fmt),
                       file_name=f"verify-{run_id}{suffix}", mime=mime, key="download_report", on_click="ignore",
                       width="stretch")
