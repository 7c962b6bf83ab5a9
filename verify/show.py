"""Terminal views of runs (rich tables). Text from articles, sources, settings and models is handed to
rich as `Text` (verify/terminal.py): printed as written, never parsed as markup."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .models import Claim, Verdict
from .store import Store
from .terminal import line, plain
from .vocabulary import DEMO_GRADE_WARNING, FAILED, LABEL_SYMBOL, PENDING, label_tag, run_is_demo_grade, terminal_style
from .model_signals import verdict_confidence

INJECTION_STYLE = "bold red"


def verdict_counts_line(counts: dict[str, int]) -> Text:
    out = Text()
    for n, (key, value) in enumerate(counts.items()):
        out.append(", " if n else "")
        out.append(plain(label_tag(key) if key in LABEL_SYMBOL else key, terminal_style(key)))
        out.append(f" {value}")
    return out


def runs_table(store: Store) -> Table:
    table = Table(title=plain(f"Runs in {store.path}"))
    for col in ("run", "created", "article", "lang", "model", "claims", "verdicts", "status"):
        table.add_column(col)
    for run in store.list_runs():
        article = store.get_article(run.article_id)
        counts = run.summary.get("verdicts", {})
        table.add_row(plain(run.id), plain(run.created_at), plain(article.title[:50]), plain(article.language),
                      plain(run.settings.model), plain(run.summary.get("claims", "-")),
                      verdict_counts_line(counts) if counts else plain("-"), plain(run.status))
    return table


def injection_lines(verdict: Verdict) -> Text:
    """One warning line per instruction to the model found in the evidence (empty when none)."""
    return Text("\n").join(line(("⚠ possible prompt injection: ", INJECTION_STYLE), flag.describe())
                           for flag in verdict.evidence_flags)


def render_run(console: Console, store: Store, run_id: str, show_evidence: bool = False) -> None:
    run = store.get_run(run_id)
    article = store.get_article(run.article_id)
    claims = store.get_claims(run_id)
    verdicts = store.get_verdicts(run_id)
    console.print(line((f"Run {run.id}", "bold"), "  ", article.title, f"  ({article.language}, {article.source})"))
    s = run.settings
    console.print(plain(f"model {s.model} | embedder {s.embedder} | prompts {s.extract_prompt}, {s.judge_prompt} "
                        f"| status {run.status}"))
    if run_is_demo_grade(run.summary, [s.model, *(v.model for v in verdicts.values())]):
        console.print(line(("Demo-grade model:", "bold yellow"), f" {DEMO_GRADE_WARNING}"))
    table = Table(show_lines=True, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("claim (span)", ratio=3)
    table.add_column("verdict", width=18)
    table.add_column("citations", ratio=4)
    for claim in claims:
        verdict = verdicts.get(claim.id)
        table.add_row(str(claim.index + 1), _claim_cell(claim), *_verdict_cells(verdict))
    console.print(table)
    if show_evidence:
        for claim in claims:
            console.print(line("\n", (f"#{claim.index + 1}", "bold"), " ", claim.text))
            for ev in store.get_evidence(claim.id):
                console.print(line(f"  {ev.rank}. [{ev.fused_score:.4f}] ", ev.chunk.source.title, ": ",
                                   ev.chunk.text[:160]))


def _claim_cell(claim: Claim) -> Text:
    if claim.span:
        where = (f"chars {claim.span.start}-{claim.span.end} ({claim.anchor})", "dim")
    else:
        where = ("span not found in the article (flagged)", "magenta")
    return line(claim.text, "\n", plain(claim.text_en, "dim"), "\n", where)


def _verdict_cells(verdict: Verdict | None) -> tuple[Text, Text]:
    if verdict is None:
        return Text(label_tag(PENDING), style="dim"), Text("")
    if verdict.status == "error":
        cites = plain(verdict.error[:300], "magenta")
    else:
        cites = Text("\n").join(
            line(f"[{i}] ", plain(f"{c.stance} " if c.stance else ""), "\"", c.text, "\" ",
                 plain(f"({c.source_id} chars {c.start}-{c.end})", "dim"))
            for i, c in enumerate(verdict.citations, start=1)  # the sentence's own stance, not the verdict
        ) or Text("no citation", style="dim")
        if verdict.rationale:
            cites.append("\n").append_text(plain(verdict.rationale[:400], "italic"))
    if verdict.evidence_flags:
        cites.append("\n").append_text(injection_lines(verdict))
    return _label_cell(verdict), cites


def _label_cell(verdict: Verdict) -> Text:
    if verdict.status == "error":
        return Text(label_tag(FAILED), style=terminal_style(FAILED))
    label = verdict.label.value
    cell = line((label_tag(label), terminal_style(label)), f"\nconf {verdict_confidence(verdict)}")
    if verdict.suspicious_citations:
        cell.append("\n⚠ injection?", style=INJECTION_STYLE)
    return cell
