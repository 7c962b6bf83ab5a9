"""An admin manages the team's users file from the command line (issue 14: "admin (manages users)")."""

from __future__ import annotations

import errno
import os

import bcrypt
import yaml
from typer.testing import CliRunner

from verify import roles
from verify.cli import app

runner = CliRunner()


def cli(*args, password: str | None = None):
    typed = f"{password}\n{password}\n" if password is not None else None
    return runner.invoke(app, list(args), input=typed)


def test_the_first_admin_creates_the_file_then_only_an_admin_adds_changes_and_removes_users(tmp_path):
    path = tmp_path / "team" / "users.yaml"
    refused = cli("user-add", "alice", "--role", "reviewer", "--file", str(path), password="pw-alice-1")
    assert refused.exit_code == 2 and "the first one must be an admin" in refused.output and not path.exists()

    made = cli("user-add", "erin", "--role", "admin", "--name", "Erin Dupont", "--file", str(path), password="pw-erin-1")
    assert made.exit_code == 0, made.output
    assert (path.stat().st_mode & 0o777) == 0o600  # hashes and the cookie key: the owner's only
    stored = yaml.safe_load(path.read_text())["credentials"]["usernames"]["erin"]
    assert bcrypt.checkpw(b"pw-erin-1", stored["password"].encode()) and "pw-erin-1" not in path.read_text()
    roles.load(path)  # a file the dashboard's login accepts (hashes, a 32+ character cookie key)

    assert cli("user-add", "alice", "--file", str(path), "--by", "erin", password="pw-alice-1").exit_code == 0
    by_reviewer = cli("user-add", "bob", "--file", str(path), "--by", "alice", password="pw-bob-1")
    assert by_reviewer.exit_code == 2 and "alice is a reviewer: only an admin can manage users" in by_reviewer.output
    assert cli("user-role", "alice", "editor", "--file", str(path), "--by", "alice").exit_code == 2

    assert cli("user-role", "alice", "editor", "--file", str(path), "--by", "erin").exit_code == 0
    listed = cli("users", "--file", str(path)).output
    assert "alice  editor" in listed and "erin  admin" in listed and "$2" not in listed  # never a hash
    last = cli("user-remove", "erin", "--file", str(path), "--by", "erin")
    assert last.exit_code == 2 and "erin is the only admin" in last.output
    assert cli("user-role", "erin", "reviewer", "--file", str(path), "--by", "erin").exit_code == 2
    assert cli("user-remove", "alice", "--file", str(path), "--by", "erin").exit_code == 0
    assert set(yaml.safe_load(path.read_text())["credentials"]["usernames"]) == {"erin"}


def test_a_users_file_is_named_or_configured(tmp_path, monkeypatch):
    result = cli("users")
    assert result.exit_code == 2 and "no users file: give --file PATH, or set VERIFY_AUTH_CONFIG" in result.output
    path = tmp_path / "users.yaml"
    assert cli("user-add", "erin", "--role", "admin", "--file", str(path), password="pw-erin-1").exit_code == 0
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", str(path))
    assert "erin  admin" in cli("users").output
    assert cli("user-add", "bob", "--role", "boss", "--by", "erin", password="x").exit_code == 2


def a_team(tmp_path):
    """A users file made by the CLI: erin (admin) and alice (reviewer); its bytes before any failed change."""
    path = tmp_path / "team" / "users.yaml"
    assert cli("user-add", "erin", "--role", "admin", "--file", str(path), password="pw-erin-1").exit_code == 0
    assert cli("user-add", "alice", "--file", str(path), "--by", "erin", password="pw-alice-1").exit_code == 0
    return path, path.read_bytes()


def assert_unchanged(path, before) -> None:
    assert path.read_bytes() == before  # the previous file, byte for byte
    assert roles.load(path).credentials.usernames["alice"].role == "reviewer"  # and one the dashboard accepts
    assert [p.name for p in path.parent.iterdir()] == ["users.yaml"]  # no half-written temporary file left


def test_a_write_that_fails_halfway_leaves_the_previous_users_file_and_no_temporary_file(tmp_path, monkeypatch):
    """README: "the file is replaced atomically". The disk fills up after half the new file is written."""
    path, before = a_team(tmp_path)
    real_dump = yaml.safe_dump

    def disk_full_halfway(data, stream, **options):
        text = real_dump(data, **options)
        stream.write(text[: len(text) // 2])
        stream.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(yaml, "safe_dump", disk_full_halfway)
    failed = cli("user-role", "alice", "editor", "--file", str(path), "--by", "erin")
    assert failed.exit_code == 2, failed.output
    assert f"error: the users file {path} could not be written (No space left on device); it is unchanged" \
        in " ".join(failed.output.split())
    assert_unchanged(path, before)


def test_a_replace_that_fails_leaves_the_previous_users_file_and_a_change_that_succeeds_keeps_mode_600(
        tmp_path, monkeypatch):
    path, before = a_team(tmp_path)

    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", refused)
        failed = cli("user-remove", "alice", "--file", str(path), "--by", "erin")
    assert failed.exit_code == 2 and "could not be written (Permission denied); it is unchanged" in failed.output
    assert_unchanged(path, before)

    changed = cli("user-role", "alice", "editor", "--file", str(path), "--by", "erin")
    assert changed.exit_code == 0, changed.output
    assert roles.load(path).credentials.usernames["alice"].role == "editor"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["users.yaml"]
