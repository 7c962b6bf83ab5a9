"""Report downloads. The citation report belongs to verify.report (imported lazily, so the dashboard
works before that module exists); until then a minimal Markdown and JSON export stands in."""

from __future__ import annotations

import json

import streamlit as st

from ui import state
from verify.review import decisions

FILES = {  # format -> (file suffix, MIME type)
    "md": (".md", "text/markdown"),
    "html": (".html", "text/html"),
    "json": (".json", "application/json"),
    "csv": (".csv", "text/csv"),
    "claimreview": (".claimreview.json", "application/ld+json"),
}


def report_renderer():
    try:
        from verify.report import render_report
    except ImportError:
        return None
    return render_report


def formats() -> list[str]:
    if report_renderer() is None:
        return ["md", "json"]
    from verify import report

    return [fmt for fmt in getattr(report, "FORMATS", FILES) if fmt in FILES]


@st.cache_data(show_spinner=False, max_entries=16)
def report_bytes(path: str, run_id: str, fmt: str, last_event: int, verdict_count: int) -> bytes:
    """Keyed on the run's last event id: a new decision makes a new report, a plain rerun does not."""
    store = state._open_store(path)
    renderer = report_renderer()
    if renderer is not None:
        return renderer(store, run_id, fmt)
    return fallback_report(store, run_id, fmt)


def fallback_report(store, run_id: str, fmt: str) -> bytes:
    run = store.get_run(run_id)
    article = store.get_article(run.article_id)
    verdicts = store.get_verdicts(run_id)
    decided = decisions(store, run_id)
    items = []
    for claim in store.get_claims(run_id):
        verdict, decision = verdicts.get(claim.id), decided[claim.id]
        items.append({
            "number": claim.index + 1, "claim": claim.text, "claim_en": claim.text_en,
            "machine_label": verdict.label.value if verdict and verdict.label else None,
            "status": verdict.status if verdict else "pending",
            "confidence": verdict.confidence if verdict else None, "rationale": verdict.rationale if verdict else "",
            "review": decision.state, "final_label": decision.label if decision.reviewed else None,
            "reviewer": decision.reviewer, "note": decision.note,
            "citations": [c.model_dump() for c in verdict.citations] if verdict else [],
        })
    if fmt == "json":
        doc = {"run": run.id, "article": {"title": article.title, "language": article.language,
                                          "source": article.source}, "model": run.settings.model, "claims": items}
        return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    lines = [f"# Citation report: {article.title}", "", f"Run {run.id}, model {run.settings.model}", ""]
    for item in items:
        final = item["final_label"] or f"{item['machine_label'] or 'FAILED'} (machine, {item['review']})"
        lines += [f"## {item['number']}. {item['claim']}", "", f"**Verdict:** {final}", ""]
        lines += [f"> {c['text']} ({c['source_id']})" for c in item["citations"]] + [""]
    return "\n".join(lines).encode("utf-8")


def render_export(run_id: str, last_event: int, verdict_count: int) -> None:
    st.markdown("**Export report**")
    fmt = st.selectbox("Format", formats(), key="export_format")
    try:
        data = report_bytes(state.db_path(), run_id, fmt, last_event, verdict_count)
    except Exception as exc:  # a report bug must not take the review page down with it
        st.error(f"Could not build the {fmt} report: {exc}")
        return
    suffix, mime = FILES[fmt]
    st.download_button(f"Download {fmt} report", data, file_name=f"verify-{run_id}{suffix}", mime=mime,
                       key="download_report", on_click="ignore", width="stretch")
