"""Report downloads: the same citation report as `verify report` (verify.report), in every format."""

from __future__ import annotations

from functools import partial

import streamlit as st

from ui import state
from verify.report import render_report
from verify.vocabulary import REPORT_FORMATS


def formats() -> list[str]:
    return list(REPORT_FORMATS)


def report_bytes(store, run_id: str, fmt: str) -> bytes:
    """Built when the reviewer clicks download (a deferred download), not on every rerun: a report of
    500 claims takes about a second, and every decision would otherwise rebuild it."""
    return render_report(store, run_id, fmt)


def render_export(run_id: str) -> None:
    st.markdown("**Export report**")
    fmt = st.selectbox("Format", formats(), key="export_format")
    suffix, mime = REPORT_FORMATS[fmt]  # the suffix `verify report -o` reads the same format from
    # The callable runs outside the script thread: it gets the Store object, not Streamlit state.
    st.download_button(f"Download {fmt} report", partial(report_bytes, state.store(), run_id, fmt),
                       file_name=f"verify-{run_id}{suffix}", mime=mime, key="download_report", on_click="ignore",
                       width="stretch")
