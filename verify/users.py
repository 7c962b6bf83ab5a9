"""Managing the team's users file (VERIFY_AUTH_CONFIG): what an admin does, checked as every write is.

The file is streamlit-authenticator's YAML (verify/roles.py reads it). Changing it here keeps what the
library stores beside our fields (emails, login counters), hashes passwords with bcrypt, and replaces
the file atomically, so the dashboard (which re-reads it when it changes) never sees half a file.

The first user of a new file is created without a name to check against (there is nobody yet) and must
be an admin, so someone can manage the others; after that every change names who makes it (`by`), and
only an admin may. As with the other command-line writes, whoever can write the file is trusted to say
who they are: the check stops mistakes and crafted dashboard requests, not someone editing the file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import yaml

from . import roles
from .errors import VerifyError
from .roles import PermissionDenied, Role


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.is_file() else {}


def _write(path: Path, data: dict) -> None:
    """The new file is written beside the old one and renamed over it: a write that fails (a full disk, a
    killed process) leaves the previous file as it was, never half of the new one."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
            out.flush()
            os.fsync(out.fileno())  # on disk before the rename, so a power cut cannot leave an empty file
        os.chmod(tmp, 0o600)  # password hashes and the cookie's signing key: the owner's only
        os.replace(tmp, path)
    except OSError as exc:
        raise VerifyError(f"the users file {path} could not be written ({exc.strerror or exc}); it is unchanged") \
            from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    roles.load(path)  # what was written must be a file the dashboard accepts


def _entries(data: dict) -> dict:
    return data.setdefault("credentials", {}).setdefault("usernames", {})


def _require_admin(path: Path, by: str | None) -> str:
    """`by` from the file being changed (not roles.require: that reads VERIFY_AUTH_CONFIG, which may name
    another file or none, and with no login set up lets anyone do anything), then the roles' own check."""
    by = (by or "").strip()
    entry = roles.load(path).credentials.usernames.get(by)
    if entry is None:
        raise PermissionDenied(f"{by or 'nobody'} is not a user in {path}: give --by the username of an admin")
    return roles.check(roles.TeamUser(username=by, name=entry.display or by, role=entry.role), "manage_users")


def add(path: Path, *, username: str, name: str, role: Role, password_hash: str, by: str | None) -> str:
    """Add a user; the first one of a new file must be an admin. Returns what was done, one line."""
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise VerifyError(f"{username!r} cannot be a username: one word, no spaces")
    data = _read(path)
    if _entries(data):
        _require_admin(path, by)
    elif role != "admin":
        raise VerifyError(f"{path} has no users yet: the first one must be an admin (--role admin), "
                          "so that someone can manage the others")
    if username in _entries(data):
        raise VerifyError(f"{username} is already a user: change their role with `verify user role`")
    _entries(data)[username] = {"name": name.strip() or username, "password": password_hash, "roles": [role]}
    cookie = data.setdefault("cookie", {})
    cookie.setdefault("name", "verify_auth")
    cookie.setdefault("expiry_days", 7)
    if len(str(cookie.get("key") or "")) < 32:
        cookie["key"] = secrets.token_urlsafe(32)  # signs login cookies: random, never typed by anyone
    _write(path, data)
    return f"added {username} ({role}) to {path}"


def set_role(path: Path, *, username: str, role: Role, by: str | None) -> str:
    data = _read(path)
    by = _require_admin(path, by)
    entry = _known(data, username, path)
    if role != "admin":
        _keep_an_admin(data, username)
    entry["roles"] = [role]
    _write(path, data)
    return f"{username} is now {'an' if role == 'admin' else 'a'} {role} (changed by {by})"


def remove(path: Path, *, username: str, by: str | None) -> str:
    data = _read(path)
    by = _require_admin(path, by)
    _known(data, username, path)
    _keep_an_admin(data, username)
    del _entries(data)[username]
    _write(path, data)
    return f"removed {username} from {path} (by {by}); their past decisions keep their name"


def listing(path: Path) -> list[roles.TeamUser]:
    team = roles.load(path)
    return [roles.TeamUser(username=u, name=e.display or u, role=e.role) for u, e in team.credentials.usernames.items()]


def _known(data: dict, username: str, path: Path) -> dict:
    entry = _entries(data).get(username)
    if entry is None:
        raise VerifyError(f"{username} is not a user in {path}")
    return entry


def _keep_an_admin(data: dict, leaving: str) -> None:
    admins = [u for u, e in _entries(data).items() if "admin" in (e.get("roles") or [])]
    if admins == [leaving]:
        raise VerifyError(f"{leaving} is the only admin: make someone else an admin first")
