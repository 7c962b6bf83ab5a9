"""`verify report`, `verify claim-meta` and `verify export-gold`: reports, publication details and gold."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import VerifyError
from ..terminal import line, plain
from ..vocabulary import format_for_suffix
from .common import DbOpt, app, console, err, fail, open_for_reading, require_store, settings_from, warn_unreadable


@app.command()
def report(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="md | html | json | csv | claimreview (default: from -o's suffix, else md)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
    only_reviewed: bool = typer.Option(False, "--only-reviewed", help="Only claims a reviewer approved or rejected."),
    only_approved: bool = typer.Option(False, "--only-approved", help="Only claims whose machine verdict was approved."),
    include_rejected: bool = typer.Option(True, "--include-rejected/--exclude-rejected", help="Show machine verdicts a reviewer rejected (excluded: the claim keeps only the reviewer's corrected label)."),
    bom: bool = typer.Option(True, "--bom/--no-bom", help="CSV: start with a UTF-8 byte-order mark so Excel reads accents (default); --no-bom drops it."),
    organization: str = typer.Option("", "--organization", help="ClaimReview: publishing organisation (default: the reviewer as author)."),
    publish_url: str = typer.Option("", "--publish-url", help="ClaimReview: URL the reviews will be published at."),
    publish: bool = typer.Option(False, "--publish", help="ClaimReview: refuse the export unless every property publishing needs is set (names what each claim lacks)."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who publishes: with --publish and a team's users file, an editor or admin."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Export a run's citation report: claims, verdicts, reviewer decisions, numbered citations, bibliography."""
    from ..report import FORMATS, render_report, write_report

    fmt = (fmt or format_for_suffix(output)).lower()
    if fmt not in FORMATS:
        fail(VerifyError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}"))
    if publish and fmt != "claimreview":
        fail(VerifyError("--publish applies to the ClaimReview export: add --format claimreview"))
    if publish:  # only an editor publishes (verify/roles.py; anyone when auth is off, one person)
        from ..roles import require

        try:
            require(by, "publish")
        except VerifyError as exc:
            fail(exc)
    warnings: list[str] = []  # what a ClaimReview reader should know: placeholder URL, claims left out
    try:
        store = open_for_reading(db)
        data = render_report(store, run_id, fmt, only_reviewed=only_reviewed, only_approved=only_approved,
                             include_rejected=include_rejected, bom=bom, organization=organization,
                             publish_url=publish_url, publish=publish, warnings=warnings)
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)
    for warning in warnings:
        err.print(line(("warning:", "bold yellow"), f" {warning}"), highlight=False)
    if output is None:
        to_stdout(data)
        return
    try:
        write_report(output, data)
    except VerifyError as exc:
        fail(exc)
    err.print(plain(f"Wrote {fmt} report of run {run_id} to {output} ({len(data):,} bytes)"), highlight=False)


def to_stdout(data: bytes) -> None:
    """A report on standard output: a reader that stops early (`| head`) is not an error; a full disk is."""
    from ..report import write_error

    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except OSError as exc:
        _detach_stdout()  # else Python fails again flushing it at exit, with a traceback-like message
        if isinstance(exc, BrokenPipeError):
            raise typer.Exit(code=0) from None
        fail(VerifyError(write_error("standard output", exc)))


def _detach_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test runner's buffer)
        pass


@app.command("claim-meta")
def claim_meta(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    claim: str = typer.Argument(..., help="The claim's number as shown (3 or #3) or its id."),
    claimant: Optional[str] = typer.Option(None, "--claimant", help="Who made the claim (ClaimReview itemReviewed.author); '' clears it."),
    claimant_kind: Optional[str] = typer.Option(None, "--claimant-kind", help="person (default) or organization."),
    claim_date: Optional[str] = typer.Option(None, "--claim-date", help="When the claim was made, YYYY-MM-DD."),
    appearance_url: Optional[str] = typer.Option(None, "--appearance-url", help="Where the claim appeared (http/https); default: the article's URL."),
    rating: Optional[str] = typer.Option(None, "--rating", help="Rating name from VERIFY_RATING_SCALE (when several names mean the reviewer's verdict)."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who sets them (kept in the claim's history)."),
    note: str = typer.Option("", "--note", help="Why (kept in the claim's history)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Publication details of a claim for ClaimReview: claimant, claim date, appearance URL, rating name.
    Without options, prints the current ones."""
    from ..claim_edits import resolve_claim
    from ..publication import ClaimPublication, describe, publication_details, set_details
    from ..rating_scale import load_scale
    from ..store import Store

    changes = {"claimant": claimant, "claimant_kind": claimant_kind, "claim_date": claim_date,
               "appearance_url": appearance_url, "rating": rating}
    writing = any(value is not None for value in changes.values())
    db_path = settings_from(db_path=db).db_path
    require_store(db_path)  # never creates a store
    try:
        scale = load_scale()
        store = Store(db_path) if writing else open_for_reading(db)
        claim_id = resolve_claim(store, run_id, claim)
        if writing:
            set_details(store, run_id, claim_id, by, scale=scale, note=note, **changes)
        details = publication_details(store, run_id).get(claim_id, ClaimPublication())
    except VerifyError as exc:
        fail(exc)
    shown = {key: value or "(not set)" for key, value in details.model_dump().items()}
    number = store.claim_ids(run_id).index(claim_id) + 1
    console.print(plain(f"claim #{number} of run {run_id}: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown.items())),
                  highlight=False, soft_wrap=True)
    proposal = next(c.proposal for c in store.get_claims(run_id) if c.id == claim_id)
    if describe(proposal):  # never published as it is: confirm with the options above or in the dashboard
        console.print(plain(f"  proposed (not set until confirmed): {describe(proposal)}"), highlight=False, soft_wrap=True)


@app.command("export-gold")
def export_gold_command(
    run_ids: Optional[list[str]] = typer.Argument(None, help="Run ids (default: every run in the store)."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write (the `verify eval` format)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Write reviewed claims as a labelled set: the reviewer's label, reviewer and approved citations as evidence.

    Example: verify export-gold -o gold.jsonl && verify eval gold.jsonl --model openai:gpt-4o-mini
    """
    from ..gold import export_gold
    from ..report import write_report

    try:
        store = open_for_reading(db)
        gold = export_gold(store, run_ids or None)
        if not gold.claims:
            raise VerifyError(f"no reviewed claim to export ({gold.summary()}): approve or reject claims in `verify ui` first")
        write_report(output, gold.jsonl())
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)
    err.print(plain(f"Wrote {gold.summary()} to {output}; score a model on it with `verify eval {output}`"),
              highlight=False, soft_wrap=True)
