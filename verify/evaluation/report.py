"""Turn an evaluation's per-claim outcomes into the results JSON and a Markdown summary."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from . import metrics
from .models import Usage, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from .evaluate import ClaimOutcome, Evaluator


def summarise(ev: "Evaluator", outcomes: list["ClaimOutcome"], retrieval: dict | None, setup_s: float,
              wall_s: float) -> dict:
    labels = ev.evalset.labels
    two_way = ev.evalset.scheme == "2way"
    gold = [o.item.label for o in outcomes]
    pred = [(metrics.to_two_way(p) if two_way else p) for p in (_label(o) for o in outcomes)]
    usage = sum((o.verdict.usage for o in outcomes), Usage())
    n = max(1, len(outcomes))
    cost = metrics.estimated_cost(ev.llm.model_id, usage.prompt_tokens, usage.completion_tokens)
    return {
        "dataset": ev.cfg.dataset.name if hasattr(ev.cfg.dataset, "name") else str(ev.cfg.dataset),
        "mode": ev.cfg.mode,
        "scheme": ev.evalset.scheme,
        "model": ev.llm.model_id,
        "embedder": ev.settings.embedder if ev.cfg.mode == "pooled" else None,
        "top_k": ev.settings.top_k,
        "library": "sources: " + ", ".join(ev.cfg.sources) if ev.cfg.sources else "evidence pool",
        "claims_in_set": len(ev.evalset.claims),
        "claims_judged": len(outcomes),
        "limit": ev.cfg.limit,
        "seed": ev.cfg.seed,
        "date": utcnow(),
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
        "classification": metrics.classification(gold, pred, labels),
        "retrieval": retrieval,
        "retrieval_judged": metrics.retrieval([o.ranks for o in outcomes if o.ranks is not None])
        if retrieval is not None else None,
        "citations": citation_summary(outcomes),
        "timing": {
            "wall_s": round(wall_s, 3),
            "library_s": round(setup_s, 3),
            "judge_wall_s": round(ev.judge_wall_s, 3),
            # retrieval runs for every claim of the set (recall), judging for the sample only
            "retrieval_s_per_claim": round(ev.retrieval_s_per_claim, 4),
            "wall_s_per_claim": round(ev.judge_wall_s / n + ev.retrieval_s_per_claim, 3),
            "judge_s_p50": round(metrics.percentile([o.wall_s for o in outcomes], 50), 3),
            "judge_s_p95": round(metrics.percentile([o.wall_s for o in outcomes], 95), 3),
        },
        "usage": {
            **usage.model_dump(),
            "calls_per_claim": round(usage.calls / n, 3),
            "prompt_tokens_per_claim": round(usage.prompt_tokens / n, 1),
            "completion_tokens_per_claim": round(usage.completion_tokens / n, 1),
        },
        "estimated_cost_usd": None if cost is None else round(cost, 6),
        "estimated_cost_usd_per_claim": None if cost is None else round(cost / n, 8),
        "failures": [{"id": o.item.id, "error": o.verdict.error} for o in outcomes if o.verdict.status != "ok"],
        "claims": [claim_row(o, two_way) for o in outcomes],
    }


def _label(outcome: "ClaimOutcome") -> str | None:
    verdict = outcome.verdict
    return verdict.label.value if verdict.status == "ok" and verdict.label else None


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def citation_summary(outcomes: list["ClaimOutcome"]) -> dict:
    cites = [c for o in outcomes for c in o.citations]
    judged = [c for c in cites if c["gold"] is not None]  # citations of claims that have gold evidence
    return metrics.citations(cited=len(cites), gold_cited=sum(1 for c in judged if c["gold"]),
                             valid=sum(1 for c in cites if c["valid"]), cited_with_gold=len(judged))


def claim_row(o: "ClaimOutcome", two_way: bool) -> dict:
    label = _label(o)
    return {
        "id": o.item.id, "gold": o.item.label, "predicted": label,
        "scored_as": metrics.to_two_way(label) if two_way else label,
        "status": o.verdict.status, "confidence": o.verdict.confidence,
        "evidence": [e.chunk.id for e in o.evidence], "gold_ranks": o.ranks,
        "citations": o.citations, "wall_s": round(o.wall_s, 3), "usage": o.verdict.usage.model_dump(),
        "error": o.verdict.error,
    }


# --- Markdown ------------------------------------------------------------------------------------


def markdown(results: dict) -> str:
    cls = results["classification"]
    lines = [
        f"# verify eval: {results['dataset']} ({results['mode']})",
        "",
        f"Model `{results['model']}`, embedder `{results['embedder']}`, top-k {results['top_k']}, "
        f"{results['claims_judged']} of {results['claims_in_set']} claims judged (seed {results['seed']}), "
        f"{results['date']}, {results['machine']}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| accuracy | {cls['accuracy']:.3f} |",
        f"| balanced accuracy | {cls['balanced_accuracy']:.3f} |",
        f"| macro-F1 | {cls['macro_f1']:.3f} |",
        f"| failed verdicts | {cls['failed']} |",
    ]
    if results["retrieval"]:
        r = results["retrieval"]
        lines.append(f"| recall@1 / @5 / @10 (all {r['claims_with_gold']} claims with gold) | "
                     f"{r['recall@1']:.3f} / {r['recall@5']:.3f} / {r['recall@10']:.3f} |")
    c = results["citations"]
    lines += [
        f"| citations | {c['citations']} |",
        f"| citation precision | {c['citation_precision']:.3f} |",
        f"| citation validity | {c['citation_validity']:.3f} |",
        f"| wall time per claim | {results['timing']['wall_s_per_claim']:.2f} s |",
        f"| LLM calls per claim | {results['usage']['calls_per_claim']:.2f} "
        f"(+{results['usage']['cached_calls']} cached) |",
        f"| tokens per claim (prompt / completion) | {results['usage']['prompt_tokens_per_claim']:.0f} / "
        f"{results['usage']['completion_tokens_per_claim']:.0f} |",
        f"| estimated cost | {_cost(results)} |",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, row in cls["per_label"].items():
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |")
    conf = cls["confusion"]
    lines += ["", "Confusion matrix (rows gold, columns predicted):", "",
              "| gold \\ predicted | " + " | ".join(conf["columns"]) + " |", "|---" * (len(conf["columns"]) + 1) + "|"]
    for label, row in zip(conf["labels"], conf["matrix"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _cost(results: dict) -> str:
    cost = results["estimated_cost_usd"]
    if cost is None:
        return "n/a (model not in the price table)"
    return f"${cost:.4f} (${results['estimated_cost_usd_per_claim']:.6f} per claim)"


def console_summary(results: dict) -> str:
    """The Markdown summary, which reads fine in a terminal, plus failures and the demo-grade note."""
    text = markdown(results)
    for failure in results["failures"][:5]:
        text += f"\nfailed verdict {failure['id']}: {failure['error'][:160]}"
    if len(results["failures"]) > 5:
        text += f"\n... and {len(results['failures']) - 5} more failed verdicts (see --out)"
    if results["model"].startswith("local:gemma-3-270m"):
        text += "\n\nVerdicts come from the bundled demo-grade model: accuracy here says little about the method."
    return text


def write_outputs(results: dict, out: Path | None, md: Path | None) -> list[Path]:
    written = []
    if out is not None:
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(out)
    if md is not None:
        md.write_text(markdown(results), encoding="utf-8")
        written.append(md)
    return written
