"""`verify assign`, `verify unassign`, `verify queue` and `verify agreement`: team review (verify/team.py);
`verify model-agreement`: each model against the reviewers (verify/model_agreement.py)."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Optional

import typer

from ..errors import VerifyError
from ..terminal import plain
from .common import DbOpt, app, console, fail, open_for_reading, require_store, settings_from

ClaimOpt = typer.Option(None, "--claim", "-c", help="A claim's number as shown (3 or #3) or its id; repeat for "
                        "several. Default: the whole run.")
ByOpt = typer.Option(os.environ.get("USER", "") or "cli", "--by",
                     help="Who does it: with a team's users file, an editor or admin.")


def _writable(db: Optional[Path]):
    from ..store import Store

    db_path = settings_from(db_path=db).db_path
    require_store(db_path)  # never creates a store
    return Store(db_path)


def _claim_ids(store, run_id: str, refs: Optional[list[str]]) -> list[str] | None:
    from ..claim_edits import resolve_claim

    store.get_run(run_id)  # a missing run is named before any claim is
    return [resolve_claim(store, run_id, ref) for ref in refs] if refs else None


def _say(text: str) -> None:
    console.print(plain(text), highlight=False, soft_wrap=True)


@app.command()
def assign(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    to: str = typer.Option(..., "--to", help="The reviewer (username in the team's users file)."),
    second: Optional[str] = typer.Option(None, "--second",
                                         help="A second reviewer, who decides blind (never sees the first decision)."),
    claims: Optional[list[str]] = ClaimOpt, by: str = ByOpt, db: Optional[Path] = DbOpt,
) -> None:
    """Assign a run, or some of its claims, to a reviewer (and a blind second reviewer)."""
    from .. import team

    try:
        store = _writable(db)
        events = team.assign(store, run_id, by=by, to=to, second=second, claim_ids=_claim_ids(store, run_id, claims))
    except VerifyError as exc:
        fail(exc)
    what = f"{len(claims)} claim(s) of run {run_id}" if claims else f"run {run_id}"
    _say(f"assigned {what} to {to}" + (f", second reviewer (blind) {second}" if second else "")
         + f" ({len(events)} assignment event(s) by {by})")


@app.command()
def unassign(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    reviewer: str = typer.Argument(..., help="The reviewer to take off."),
    claims: Optional[list[str]] = ClaimOpt,
    slot: Optional[str] = typer.Option(None, "--slot", help="first or second (default: both)."),
    by: str = ByOpt, db: Optional[Path] = DbOpt,
) -> None:
    """Take a reviewer off a run or some of its claims (their decisions stay)."""
    from .. import team

    if slot not in (None, "first", "second"):
        fail(VerifyError(f"--slot is first or second, not {slot!r}"))
    try:
        store = _writable(db)
        events = team.unassign(store, run_id, by=by, reviewer=reviewer, claim_ids=_claim_ids(store, run_id, claims),
                               slot=slot)
    except VerifyError as exc:
        fail(exc)
    _say(f"unassigned {reviewer} from run {run_id} ({len(events)} assignment event(s) by {by})")


@app.command()
def queue(
    user: str = typer.Argument(..., help="The reviewer (username)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """A reviewer's open assigned claims across runs, with counts; for an editor, also the disagreements to resolve."""
    from .. import roles, team

    try:
        store = open_for_reading(db)
        items = team.my_queue(store, user)
        who = roles.user(user)
        editor = who is not None and roles.RANK[who.role] >= roles.RANK["editor"]
        items += team.disagreements(store) if editor else []
    except VerifyError as exc:
        fail(exc)
    if not items:
        _say(f"{user}: nothing open")
        return
    by_run = defaultdict(list)
    for item in items:
        by_run[item.run_id].append(item)
    _say(f"{user}: {len(items)} open item(s) in {len(by_run)} run(s)")
    for run_id, run_items in by_run.items():
        _say(f"run {run_id}: {len(run_items)} open")
        for item in run_items:
            what = {"first": "review", "second": "blind second review", "resolve": "disagreement to resolve"}[item.slot]
            _say(f"  #{item.number} {what}: {item.text}")


@app.command()
def agreement(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Agreement of first and blind second reviewers on a run: Cohen's kappa and raw agreement, overall and per pair."""
    from .. import team

    try:
        store = open_for_reading(db)
        store.get_run(run_id)
        result = team.agreement(store, run_id)
        open_ = len(team.disagreements(store, [run_id]))
    except VerifyError as exc:
        fail(exc)
    _say(f"run {run_id}: {team.describe(result.overall)}")
    for pair in result.pairs:
        _say(f"  {' & '.join(pair.pair)}: {team.describe(pair)}")
    _say(f"{open_} disagreement(s) waiting for an editor" if open_ else "no disagreement waiting for an editor")


@app.command("model-agreement")
def model_agreement(
    run_ids: Optional[list[str]] = typer.Argument(None, help="Run ids (see `verify runs`). Default: every run."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Per model: how often reviewers agreed with its verdicts (approved or rejected claims), with Cohen's kappa."""
    from .. import model_agreement as ma

    try:
        store = open_for_reading(db)
        for run_id in run_ids or []:
            store.get_run(run_id)  # a missing run is named, not silently skipped
        figures = ma.model_agreement(store, run_ids or None)
    except VerifyError as exc:
        fail(exc)
    if not figures:
        _say("no reviewed claim yet: approve or reject verdicts first (needs-evidence and unreviewed claims do not count)")
        return
    for figure in figures:
        _say(f"{figure.model}: {ma.describe(figure)}")
        changed = ma.disagreements_line(figure)
        if changed:
            _say(f"  reviewers changed: {changed}")
