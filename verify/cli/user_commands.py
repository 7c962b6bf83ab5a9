"""`verify users`, `verify user-add`, `verify user-role`, `verify user-remove`: an admin manages the team's
users file (verify/users.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import roles, users
from ..errors import VerifyError
from ..terminal import plain
from .common import app, console, fail, settings_from

FileOpt = typer.Option(None, "--file", help="The users file. Default: VERIFY_AUTH_CONFIG. `user-add` creates it "
                       "(mode 600) when it does not exist yet.")
ByOpt = typer.Option(None, "--by", help="Your username: an admin of the file (not needed for the first user).")
ROLES = ", ".join(roles.RANK)


def _file(path: Optional[Path]) -> Path:
    if path is not None:
        return path
    configured = settings_from().auth_config
    if configured is None:
        fail(VerifyError("no users file: give --file PATH, or set VERIFY_AUTH_CONFIG to an existing one"))
    return configured


def _role(role: str) -> roles.Role:
    if role not in roles.RANK:
        fail(VerifyError(f"{role!r} is not a role: use one of {ROLES}"))
    return role  # type: ignore[return-value]


@app.command("users")
def list_users(file: Optional[Path] = FileOpt) -> None:
    """List the team's users and their roles (never their passwords)."""
    try:
        for user in users.listing(_file(file)):
            console.print(plain(f"{user.username}  {user.role:<8}  {user.name}"), highlight=False)
    except VerifyError as exc:
        fail(exc)


@app.command("user-add")
def user_add(username: str = typer.Argument(..., help="Login name: one word."),
             role: str = typer.Option("reviewer", "--role", help=f"One of {ROLES}."),
             name: str = typer.Option("", "--name", help="Full name shown in the dashboard."),
             file: Optional[Path] = FileOpt, by: Optional[str] = ByOpt) -> None:
    """Add a user: asks for their password twice (never shown) and stores only its bcrypt hash. The first user
    of a new file must be an admin; after that only an admin (--by) can add users."""
    checked = _role(role)
    try:
        path = file if file is not None else _file(None)
        password = typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)
        console.print(users.add(path, username=username, name=name, role=checked,
                                password_hash=roles.hash_password(password), by=by), highlight=False)
    except VerifyError as exc:
        fail(exc)


@app.command("user-role")
def user_role(username: str, role: str = typer.Argument(..., help=f"One of {ROLES}."),
              file: Optional[Path] = FileOpt, by: Optional[str] = ByOpt) -> None:
    """Change a user's role (admins only; the last admin cannot be demoted)."""
    checked = _role(role)
    try:
        console.print(users.set_role(_file(file), username=username, role=checked, by=by), highlight=False)
    except VerifyError as exc:
        fail(exc)


@app.command("user-remove")
def user_remove(username: str, file: Optional[Path] = FileOpt, by: Optional[str] = ByOpt) -> None:
    """Remove a user (admins only; not the last admin). Their past decisions keep their name."""
    try:
        console.print(users.remove(_file(file), username=username, by=by), highlight=False)
    except VerifyError as exc:
        fail(exc)
