"""Who may write what: reviewers, editors and admins, checked inside every write function.

Auth is off by default: one person on one machine, every write allowed under the typed name (today's
embedded set-up). It is on when either is set:

- VERIFY_AUTH_CONFIG: a streamlit-authenticator YAML file (users with bcrypt-hashed passwords, their
  roles, and the login cookie's signing key). The dashboard asks for a login (ui/auth.py).
- VERIFY_TRUSTED_USER_HEADER: the name of a header an authenticating reverse proxy sets to the user
  (e.g. X-Forwarded-User). Roles then come from VERIFY_AUTH_CONFIG when it is set (passwords unused);
  a user it does not list is a reviewer.

The role is looked up here, from the server's own config file, for the name the write is made in: a
write function never trusts a role handed to it, so a crafted request (or a button a reviewer should
not have) cannot do an editor's action. The file is re-read when it changes: roles take effect
without a restart. Imports no Streamlit: the CLI's writes (`verify rejudge --by`) are checked too.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import Settings
from .errors import ConfigError, VerifyError

Role = Literal["reviewer", "editor", "admin"]
Permission = Literal["decide", "cite", "edit_claim", "override", "publish", "manage_users"]
Mode = Literal["off", "password", "header"]

RANK: dict[str, int] = {"reviewer": 1, "editor": 2, "admin": 3}
# reviewer decides; editor also overrides other reviewers' decisions and publishes; admin manages users.
NEEDS: dict[str, Role] = {"decide": "reviewer", "cite": "reviewer", "edit_claim": "reviewer",
                          "override": "editor", "publish": "editor", "manage_users": "admin"}
WHAT: dict[str, str] = {"decide": "decide claims", "cite": "cite evidence", "edit_claim": "edit claims",
                        "override": "change or undo another reviewer's decision", "publish": "publish the report",
                        "manage_users": "manage users"}
BCRYPT = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
HASH_HINT = "verify hash-password"


class PermissionDenied(VerifyError):
    """The user's role does not allow this write."""


class UserEntry(BaseModel):
    """One user as streamlit-authenticator stores it (it also keeps email, login counters...: allowed)."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    first_name: str = ""
    last_name: str = ""
    password: str = ""
    roles: list[Role] = Field(default_factory=lambda: ["reviewer"])

    @property
    def role(self) -> Role:
        return max(self.roles or ["reviewer"], key=RANK.__getitem__)

    @property
    def display(self) -> str:
        return self.name or " ".join(p for p in (self.first_name, self.last_name) if p)


class Credentials(BaseModel):
    model_config = ConfigDict(extra="allow")

    usernames: dict[str, UserEntry] = Field(default_factory=dict)


class Cookie(BaseModel):
    """The login cookie: signed with `key`, so the key must be a secret nobody can guess."""

    model_config = ConfigDict(extra="allow")

    name: str = "verify_auth"
    key: str = ""
    expiry_days: float = Field(7.0, ge=0)


class AuthFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    credentials: Credentials = Field(default_factory=Credentials)
    cookie: Cookie = Field(default_factory=Cookie)


class TeamUser(BaseModel):
    """A user as the write functions see them."""

    username: str
    name: str
    role: Role


def mode(settings: Settings | None = None) -> Mode:
    settings = settings or Settings.from_env()
    if settings.trusted_user_header:
        return "header"
    return "password" if settings.auth_config else "off"


_cache: dict[str, tuple[tuple[int, int], AuthFile]] = {}


def load(path: Path, *, passwords: bool = True) -> AuthFile:
    """The users file, checked (read again whenever it changes). `passwords`: every user needs a bcrypt
    hash and the cookie a signing key (password login); not when a proxy authenticates."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if str(path) in _cache and _cache[str(path)][0] == stamp:
            config = _cache[str(path)][1]
        else:
            config = AuthFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            _cache[str(path)] = (stamp, config)
    except OSError as exc:
        raise ConfigError(f"VERIFY_AUTH_CONFIG: cannot read {path} ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"VERIFY_AUTH_CONFIG: {path} is not valid YAML ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"VERIFY_AUTH_CONFIG: {path}: {where}: {first['msg']} "
                          "(roles are reviewer, editor or admin)") from None
    if passwords:
        _check_passwords(path, config)
    return config


def _check_passwords(path: Path, config: AuthFile) -> None:
    if not config.credentials.usernames:
        raise ConfigError(f"VERIFY_AUTH_CONFIG: {path} lists no users under credentials.usernames")
    plain = [name for name, user in config.credentials.usernames.items() if not BCRYPT.match(user.password)]
    if plain:  # a plain-text password in a file is refused rather than hashed in memory and left on disk
        raise ConfigError(f"VERIFY_AUTH_CONFIG: {path}: the password of {', '.join(plain)} is not a bcrypt hash; "
                          f"hash it with {HASH_HINT} and paste the result")
    if len(config.cookie.key) < 32:  # whoever knows the key can sign a login cookie for any user
        raise ConfigError(f"VERIFY_AUTH_CONFIG: {path}: cookie.key must be a random secret of at least 32 "
                          "characters (e.g. python -c \"import secrets; print(secrets.token_urlsafe(32))\")")


def users(settings: Settings | None = None) -> dict[str, TeamUser]:
    """The users the config file lists (empty when there is none)."""
    settings = settings or Settings.from_env()
    if not settings.auth_config:
        return {}
    config = load(settings.auth_config, passwords=mode(settings) == "password")
    return {name: TeamUser(username=name, name=entry.display or name, role=entry.role)
            for name, entry in config.credentials.usernames.items()}


def user(username: str, settings: Settings | None = None) -> TeamUser | None:
    """The user `username` is, with their role; None when auth is on and nobody of that name may write.
    Auth off: anyone named is the one person, with every role."""
    settings = settings or Settings.from_env()
    username = (username or "").strip()
    how = mode(settings)
    if how == "off":
        return TeamUser(username=username, name=username, role="admin")
    known = users(settings).get(username)
    if known or how == "password":
        return known
    return TeamUser(username=username, name=username, role="reviewer")  # the proxy vouches; not listed: reviewer


def can(username: str, permission: Permission, settings: Settings | None = None) -> bool:
    who = user(username, settings)
    return who is not None and RANK[who.role] >= RANK[NEEDS[permission]]


def require(username: str, permission: Permission, detail: str = "") -> str:
    """The name, stripped, when its role allows `permission`; PermissionDenied (one line) otherwise."""
    username = (username or "").strip()
    who = user(username)
    if who is None:
        raise PermissionDenied(f"{username or 'nobody'} is not a user in the team's users file: "
                               "log in as a listed user (VERIFY_AUTH_CONFIG)")
    return check(who, permission, detail)


def check(who: TeamUser, permission: Permission, detail: str = "") -> str:
    """Their username when their role allows `permission`; PermissionDenied (one line) otherwise. For
    `require`, and for verify/users.py, which finds the user in the file it manages, not VERIFY_AUTH_CONFIG."""
    needed = NEEDS[permission]
    if RANK[who.role] < RANK[needed]:
        others = "an editor or an admin" if needed == "editor" else "an admin"
        raise PermissionDenied(f"{who.username} is a {who.role}: only {others} can {WHAT[permission]}"
                               + (f" ({detail})" if detail else ""))
    return who.username


def is_loopback(address: str) -> bool:
    """127.0.0.1, ::1 or localhost: reachable from this machine only. Anything else (0.0.0.0, a LAN
    address, a host name) may be reachable from elsewhere."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_serving(address: str, settings: Settings) -> str:
    """Whether the dashboard may listen on `address`: a warning to print ('' for none), or a VerifyError.
    Off loopback without a login, anyone on the network could decide claims in anyone's name."""
    how = mode(settings)
    if how == "password":
        load(settings.auth_config)  # a broken users file stops `verify ui`, not the first login
    if is_loopback(address):
        return ""
    if how == "off":
        raise VerifyError(f"refusing to serve the dashboard on {address} with no login: anyone who reaches it could "
                          "decide claims in anyone's name. Set VERIFY_AUTH_CONFIG (a users file) or "
                          "VERIFY_TRUSTED_USER_HEADER (behind a login proxy), or leave --address at 127.0.0.1")
    if how == "header":
        return (f"users are taken from the {settings.trusted_user_header} header: only the login proxy may reach "
                f"{address}, or anyone can send that header")
    return ""


def hash_password(password: str) -> str:
    """The bcrypt hash to paste into the users file (what streamlit-authenticator's Hasher makes too)."""
    import bcrypt  # streamlit-authenticator's own dependency

    if not password.strip():
        raise VerifyError("an empty password cannot protect anything: choose another")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")
