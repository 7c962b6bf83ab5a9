"""Report downloads. The citation report belongs to verify.report (imported lazily, so the dashboard
works before that module exists); until then a minimal Markdown and JSON export stands in."""

from __future__ import annotations

import json
from functools import partial

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


def report_bytes(store, run_id: str, fmt: str) -> bytes:
    """Built when the reviewer clicks download (a deferred download), not on every rerun: a report of
    500 claims takes about a second, and every decision would otherwise rebuild it."""
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


def render_export(run_id: str) -> None:
    st.markdown("**Export report**")
    fmt = st.selectbox("Format", formats(), key="export_format")
    suffix, mime = FILES[fmt]
    # The callable runs outside the script thread: it gets the Store object, not Streamlit state.
    st.download_button(f"Download {fmt} report", partial(report_bytes, state.store(), run_id, fmt),
                       file_name=f"verify-{run_id}{suffix}", mime=mime, key="download_report", on_click="ignore",
                       width="stretch")
