"""Turn an evaluation's per-claim outcomes into the results JSON and a Markdown summary.

This module knows nothing of how the outcomes were made (evaluation/run.py builds them): it takes
the outcomes and the facts of the run, so the import graph goes one way, run -> report.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Evidence, Usage, Verdict, utcnow
from . import metrics
from .dataset import EvalClaim
from ..vocabulary import is_demo_grade

USAGE_NOTE = ("sent: requests the model answered during this eval (failed tries included), with their tokens; "
              "cached: replies the store's cache gave instead, with the tokens they cost when first made; "
              "per claim: sent + cached, the method's cost without a cache")


@dataclass
class ClaimOutcome:
    item: EvalClaim
    evidence: list[Evidence]
    verdict: Verdict
    wall_s: float
    ranks: list[int | None] | None = None  # first rank of each gold item (pooled, claims with gold)
    citations: list[dict] = field(default_factory=list)


@dataclass
class EvalFacts:
    """What the report says about the run besides its per-claim outcomes."""
    dataset: str
    mode: str  # pooled | paired
    scheme: str  # 3way | 2way
    labels: tuple[str, ...]
    claims_in_set: int
    model: str
    embedder: str | None  # None: paired, no retrieval
    top_k: int
    library: str
    limit: int | None
    seed: int
    run_id: str  # the run that holds the verdicts and citations in the store
    db: str
    unreadable_sources: list[tuple[str, str]]  # (location, reason): left out of the library
    sent: Usage  # LLM requests sent to the model
    cached: Usage  # LLM requests the cache answered
    wall_s: float = 0.0
    library_s: float = 0.0
    judge_wall_s: float = 0.0
    retrieval_s_per_claim: float = 0.0


def summarise(facts: EvalFacts, outcomes: list[ClaimOutcome], retrieval: dict | None) -> dict:
    two_way = facts.scheme == "2way"
    gold = [o.item.label for o in outcomes]
    pred = [(metrics.to_two_way(p) if two_way else p) for p in (_label(o) for o in outcomes)]
    n = max(1, len(outcomes))
    return {
        "dataset": facts.dataset,
        "mode": facts.mode,
        "scheme": facts.scheme,
        "model": facts.model,
        "embedder": facts.embedder,
        "top_k": facts.top_k,
        "library": facts.library,
        "unreadable_sources": [{"source": loc, "error": reason} for loc, reason in facts.unreadable_sources],
        "unreadable_source_count": len(facts.unreadable_sources),
        "claims_in_set": facts.claims_in_set,
        "claims_judged": len(outcomes),
        "limit": facts.limit,
        "seed": facts.seed,
        "run_id": facts.run_id,
        "db": facts.db,
        "date": utcnow(),
        "machine": f"{platform.machine()}, {os.cpu_count() or 1} cores, Python {platform.python_version()}",
        "classification": metrics.classification(gold, pred, facts.labels),
        "retrieval": retrieval,
        "retrieval_judged": metrics.retrieval([o.ranks for o in outcomes if o.ranks is not None])
        if retrieval is not None else None,
        "citations": citation_summary(outcomes),
        "timing": {
            "wall_s": round(facts.wall_s, 3),
            "library_s": round(facts.library_s, 3),
            "judge_wall_s": round(facts.judge_wall_s, 3),
            # retrieval runs for every claim of the set (recall), judging for the sample only
            "retrieval_s_per_claim": round(facts.retrieval_s_per_claim, 4),
            "wall_s_per_claim": round(facts.judge_wall_s / n + facts.retrieval_s_per_claim, 3),
            "judge_s_p50": round(metrics.percentile([o.wall_s for o in outcomes], 50), 3),
            "judge_s_p95": round(metrics.percentile([o.wall_s for o in outcomes], 95), 3),
        },
        "usage": usage_summary(facts.sent, facts.cached, n),
        **cost_summary(facts, n),
        "failures": [{"id": o.item.id, "error": o.verdict.error} for o in outcomes if o.verdict.status != "ok"],
        "claims": [claim_row(o, two_way) for o in outcomes],
    }


def usage_summary(sent: Usage, cached: Usage, n: int) -> dict:
    """Calls and tokens sent to the model and answered from the cache, apart and per claim (both)."""
    return {
        "calls": sent.calls, "cached_calls": cached.cached_calls,
        "prompt_tokens": sent.prompt_tokens, "completion_tokens": sent.completion_tokens,
        "total_tokens": sent.total_tokens, "latency_s": sent.latency_s,
        "cached_prompt_tokens": cached.prompt_tokens, "cached_completion_tokens": cached.completion_tokens,
        "calls_per_claim": round((sent.calls + cached.cached_calls) / n, 3),
        "sent_calls_per_claim": round(sent.calls / n, 3),
        "cached_calls_per_claim": round(cached.cached_calls / n, 3),
        "prompt_tokens_per_claim": round((sent.prompt_tokens + cached.prompt_tokens) / n, 1),
        "completion_tokens_per_claim": round((sent.completion_tokens + cached.completion_tokens) / n, 1),
        "sent_prompt_tokens_per_claim": round(sent.prompt_tokens / n, 1),
        "sent_completion_tokens_per_claim": round(sent.completion_tokens / n, 1),
        "counted": USAGE_NOTE,
    }


def cost_summary(facts: EvalFacts, n: int) -> dict:
    """List price of every token the method used, cached replies counted as if sent."""
    cost = metrics.estimated_cost(facts.model, facts.sent.prompt_tokens + facts.cached.prompt_tokens,
                                  facts.sent.completion_tokens + facts.cached.completion_tokens)
    return {"estimated_cost_usd": None if cost is None else round(cost, 6),
            "estimated_cost_usd_per_claim": None if cost is None else round(cost / n, 8)}


def _label(outcome: ClaimOutcome) -> str | None:
    verdict = outcome.verdict
    return verdict.label.value if verdict.status == "ok" and verdict.label else None


def citation_summary(outcomes: list[ClaimOutcome]) -> dict:
    cites = [c for o in outcomes for c in o.citations]
    judged = [c for c in cites if c["gold"] is not None]  # citations of claims that have gold evidence
    return metrics.citations(cited=len(cites), gold_cited=sum(1 for c in judged if c["gold"]),
                             valid=sum(1 for c in cites if c["valid"]), cited_with_gold=len(judged))


def claim_row(o: ClaimOutcome, two_way: bool) -> dict:
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
        f"Model `{results['model']}`, {_retrieval_setup(results)}, "
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
    if results["unreadable_source_count"]:
        lines.append(f"| unreadable sources (left out of the library) | {results['unreadable_source_count']} |")
    c, u = results["citations"], results["usage"]
    lines += [
        f"| citations | {c['citations']} |",
        f"| citation precision | {c['citation_precision']:.3f} |",
        f"| citation validity | {c['citation_validity']:.3f} |",
        f"| wall time per claim | {results['timing']['wall_s_per_claim']:.2f} s |",
        f"| LLM calls per claim (sent + cached) | {u['calls_per_claim']:.2f} ({u['sent_calls_per_claim']:.2f} sent "
        f"+ {u['cached_calls_per_claim']:.2f} cached) |",
        f"| tokens per claim, prompt / completion (sent + cached) | {u['prompt_tokens_per_claim']:.0f} / "
        f"{u['completion_tokens_per_claim']:.0f} (sent: {u['sent_prompt_tokens_per_claim']:.0f} / "
        f"{u['sent_completion_tokens_per_claim']:.0f}) |",
        f"| estimated cost (cached replies counted as sent) | {_cost(results)} |",
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


def _retrieval_setup(results: dict) -> str:
    if results["embedder"] is None:
        return "no retrieval (paired)"
    return f"embedder `{results['embedder']}`, top-k {results['top_k']}"


def _cost(results: dict) -> str:
    cost = results["estimated_cost_usd"]
    if cost is None:
        return "n/a (model not in the price table)"
    return f"${cost:.4f} (${results['estimated_cost_usd_per_claim']:.6f} per claim)"


def console_summary(results: dict) -> str:
    """The Markdown summary, which reads fine in a terminal, plus failures and the demo-grade note."""
    text = markdown(results)
    for item in results["unreadable_sources"]:
        text += f"\nunreadable source left out of the library: {item['error']}"
    for failure in results["failures"][:5]:
        text += f"\nfailed verdict {failure['id']}: {failure['error'][:160]}"
    if len(results["failures"]) > 5:
        text += f"\n... and {len(results['failures']) - 5} more failed verdicts (see --out)"
    if results.get("run_id"):
        text += (f"\n\nVerdicts and citations are stored as run {results['run_id']} in {results['db']}: "
                 f"`verify show {results['run_id']}` or the dashboard opens it.")
    if is_demo_grade(results["model"]):
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
