"""`verify runs`, `verify show`, `verify ui` and `verify hash-password`: reading runs and the dashboard."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .. import roles
from ..errors import VerifyError
from ..resources import DASHBOARD_APP
from ..terminal import line, plain
from .common import DbOpt, app, console, err, fail, open_for_reading, require_store, settings_from, warn_unreadable


@app.command()
def runs(db: Optional[Path] = DbOpt) -> None:
    """List runs, newest first."""
    from ..show import runs_table

    try:
        store = open_for_reading(db)
        console.print(runs_table(store))
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)


@app.command()
def show(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    db: Optional[Path] = DbOpt,
    evidence: bool = typer.Option(False, "--evidence", help="Also list the retrieved passages of each claim."),
) -> None:
    """Show a run's claims with spans, verdicts and citations."""
    from ..show import render_run

    try:
        store = open_for_reading(db)
        render_run(console, store, run_id, show_evidence=evidence)
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)


@app.command("hash-password")
def hash_password() -> None:
    """Print a bcrypt hash of a password (asked twice, never shown) for the team users file (VERIFY_AUTH_CONFIG)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        console.print(roles.hash_password(password), highlight=False)
    except VerifyError as exc:
        fail(exc)


@app.command("ui")
def ui_command(
    db: Optional[Path] = DbOpt,
    port: int = typer.Option(8501, "--port", help="Port to serve the dashboard on."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to bind (127.0.0.1 keeps it on this machine)."),
) -> None:
    """Open the review dashboard (Streamlit) on the store: approve or reject every verdict."""
    app_path = DASHBOARD_APP  # ui/ beside the package in a checkout, inside it in a wheel (verify/resources.py)
    if not app_path.is_file():
        fail(VerifyError(f"the dashboard is not at {app_path}: reinstall verify (pip install -e . in the checkout)"))
    from ..store.location import resolved, shown

    settings = settings_from(db_path=db)
    db_path = resolved(settings.db_path)
    require_store(db_path)  # the dashboard only reads a store (and adds review events): `verify run` makes one
    try:  # off this machine only with a login (verify/roles.py); the page itself checks it too (ui/auth.py)
        warning = roles.check_serving(address, settings)
    except VerifyError as exc:
        fail(exc)
    if warning:
        err.print(line(("warning:", "bold yellow"), f" {warning}"), highlight=False)
    env = dict(os.environ, VERIFY_DB=str(db_path))
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.address", address,
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",  # as .streamlit/config.toml
           "--runner.postScriptGC", "false"]  # a full gc after every run cost 0.1-0.4 s a click (~10^5 objects)
    console.print(plain(f"Review dashboard: http://{address}:{port}  (store {shown(db_path)}; Ctrl+C stops it)"), highlight=False)
    sys.stdout.flush()
    # exec, not a child process: Ctrl+C and a kill of this pid reach the server itself.
    os.execve(sys.executable, cmd, env)
