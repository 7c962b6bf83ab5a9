"""The `verify` command line: one typer app, its commands in small modules by subject."""

from __future__ import annotations

import os  # noqa: F401 - tests patch os.execve through verify.cli.os (the dashboard command execs Streamlit)

# isort: off
# Importing a module registers its commands; `verify --help` lists them in this order.
from . import run_commands, dashboard_commands, library_commands, report_commands, eval_command  # noqa: F401
from . import batch_commands  # noqa: F401 - batch, worker, batch-status (task queue)
from . import team_commands  # noqa: F401 - assign, unassign, queue, agreement (team review)
from . import user_commands  # noqa: F401 - users, user-add, user-role, user-remove (admins)
# isort: on
from .common import app, console, err, fail, settings_from

__all__ = ["app", "console", "err", "fail", "settings_from", "main"]


def main() -> None:  # pragma: no cover
    app()
