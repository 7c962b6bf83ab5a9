"""Terminal views of runs (rich tables). Text from articles and sources is printed, never markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .config import DEMO_GRADE_WARNING
from .store import Store

LABEL_STYLE = {"SUPPORTED": "green", "REFUTED": "red", "NOT_ENOUGH_INFO": "yellow", "failed": "magenta"}


def verdict_counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"[{LABEL_STYLE.get(k, 'white')}]{k}[/] {v}" for k, v in counts.items())


def runs_table(store: Store) -> Table:
    table = Table(title=f"Runs in {store.path}")
    for col in ("run", "created", "article", "lang", "model", "claims", "verdicts", "status"):
        table.add_column(col)
    for run in store.list_runs():
        article = store.get_article(run.article_id)
        counts = run.summary.get("verdicts", {})
        table.add_row(run.id, run.created_at, escape(article.title[:50]), article.language, escape(run.settings.model),
                      str(run.summary.get("claims", "-")), verdict_counts_line(counts) if counts else "-", run.status)
    return table


def render_run(console: Console, store: Store, run_id: str, show_evidence: bool = False) -> None:
    run = store.get_run(run_id)
    article = store.get_article(run.article_id)
    claims = store.get_claims(run_id)
    verdicts = store.get_verdicts(run_id)
    console.print(f"[bold]Run {run.id}[/bold]  {escape(article.title)}  ({article.language}, {escape(article.source)})")
    console.print(f"model {escape(run.settings.model)} | embedder {run.settings.embedder} | prompts "
                  f"{run.settings.extract_prompt}, {run.settings.judge_prompt} | status {run.status}")
    if run.summary.get("demo_grade_model"):
        console.print(f"[bold yellow]Demo-grade model:[/bold yellow] {DEMO_GRADE_WARNING}")
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("claim (span)", ratio=3)
    table.add_column("verdict", width=16)
    table.add_column("citations", ratio=4)
    for claim in claims:
        verdict = verdicts.get(claim.id)
        if claim.span:
            where = f"[dim]chars {claim.span.start}-{claim.span.end} ({claim.anchor})[/dim]"
        else:
            where = "[magenta]span not found in the article (flagged)[/magenta]"
        claim_cell = f"{escape(claim.text)}\n[dim]{escape(claim.text_en)}[/dim]\n{where}"
        if verdict is None:
            verdict_cell, cites = "[dim]not judged[/dim]", ""
        elif verdict.status == "error":
            verdict_cell = "[magenta]FAILED[/magenta]"
            cites = f"[magenta]{escape(verdict.error[:300])}[/magenta]"
        else:
            style = LABEL_STYLE[verdict.label.value]
            verdict_cell = f"[{style}]{verdict.label.value}[/]\nconf {verdict.confidence:.2f}"
            cites = "\n".join(
                f"[{i}] \"{escape(c.text)}\" [dim]({escape(c.source_id)} chars {c.start}-{c.end})[/dim]"
                for i, c in enumerate(verdict.citations, start=1)
            ) or "[dim]no citation[/dim]"
            if verdict.rationale:
                cites += f"\n[italic]{escape(verdict.rationale[:400])}[/italic]"
        table.add_row(str(claim.index + 1), claim_cell, verdict_cell, cites)
    console.print(table)
    if show_evidence:
        for claim in claims:
            console.print(f"\n[bold]#{claim.index + 1}[/bold] {escape(claim.text)}")
            for ev in store.get_evidence(claim.id):
                console.print(f"  {ev.rank}. [{ev.fused_score:.4f}] {escape(ev.chunk.source.title)}: "
                              f"{escape(ev.chunk.text[:160])}")
