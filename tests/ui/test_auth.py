"""Team use (issue 14, identity and roles): a login from a streamlit-authenticator users file, roles
checked inside the write functions, the reviewer on every event taken from the login."""

from __future__ import annotations

import secrets

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, checked, decide, visible
from verify import claim_edits, roles
from verify.review import decide as write_decision
from verify.review import decisions, events_for

PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret", "erin": "erin-secret"}
ROLES = {"alice": "reviewer", "bob": "reviewer", "erin": "editor"}


def users_file(path, roles_of=ROLES) -> str:
    """A users file as an admin writes it: bcrypt hashes (cost 4 keeps the tests fast), a random cookie key."""
    lines = ["credentials:", "  usernames:"]
    for name, role in roles_of.items():
        hashed = bcrypt.hashpw(PASSWORDS[name].encode(), bcrypt.gensalt(4)).decode()
        lines += [f"    {name}:", f"      name: {name.title()}", f"      password: '{hashed}'", f"      roles: [{role}]"]
    lines += ["cookie:", "  name: verify_auth", f"  key: {secrets.token_urlsafe(32)}", "  expiry_days: 1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def team(tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(tmp_path / "users.yaml"))


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    fields = {t.label: t for t in at.text_input}
    fields["Username"].input(username)
    fields["Password"].input(password)
    return checked(at.button[0].click().run())


def open_team_app(run_id: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["run"] = run_id
    return checked(at.run())


def machine_verdict(seeded_run, claim_id):
    return seeded_run.verdicts[claim_id]


def test_the_dashboard_asks_for_a_login_and_records_the_logged_in_user(seeded_run, team):
    at = open_team_app(seeded_run.run.id)
    assert "Log in to review" in visible(at)
    assert not at.selectbox, "nothing of the run is shown before a login"
    assert "Reviewer" not in [t.label for t in at.text_input], "no free-text name box when auth is on"

    log_in(at, "alice", "wrong")
    assert "Wrong username or password." in visible(at) and not at.selectbox

    log_in(at, "alice", PASSWORDS["alice"])
    assert "Signed in as **Alice** (alice) · reviewer" in [m.value for m in at.sidebar.markdown]
    decide(at, "Reject", label="REFUTED")
    event = events_for(seeded_run.store, run_id=seeded_run.run.id)[-1]
    assert (event.reviewer, event.action) == ("alice", "reject")


def test_a_reviewer_cannot_override_another_reviewers_decision_in_the_dashboard(seeded_run, team):
    first = seeded_run.claims[0].id
    write_decision(seeded_run.store, run_id=seeded_run.run.id, claim_id=first, reviewer="bob", action="approve",
                   machine_verdict=machine_verdict(seeded_run, first))
    at = open_team_app(seeded_run.run.id)
    log_in(at, "alice", PASSWORDS["alice"])
    checked(at.selectbox(key="claim_select").set_value(first).run())
    decide(at, "Reject", label="REFUTED")
    assert "alice is a reviewer: only an editor or an admin can change or undo another reviewer's decision" \
        in visible(at)
    assert [e.reviewer for e in events_for(seeded_run.store, claim_id=first)] == ["bob"]


def test_a_reviewer_cannot_do_an_editors_action_by_calling_the_write_function(seeded_run, team):
    """A crafted request: the write function itself refuses, whatever the page showed."""
    store, run_id, first = seeded_run.store, seeded_run.run.id, seeded_run.claims[0].id
    verdict = machine_verdict(seeded_run, first)
    write_decision(store, run_id=run_id, claim_id=first, reviewer="bob", action="approve", machine_verdict=verdict)
    last = decisions(store, run_id)[first].last_event_id
    for action, label in (("reject", "REFUTED"), ("undo", None), ("reopen", None)):
        with pytest.raises(roles.PermissionDenied, match="alice is a reviewer"):
            write_decision(store, run_id=run_id, claim_id=first, reviewer="alice", action=action,
                           machine_verdict=verdict, corrected_label=label, expected_last_event=last, force=True)
    assert [e.reviewer for e in events_for(store, claim_id=first)] == ["bob"]
    # agreeing is not overriding; an editor may override
    write_decision(store, run_id=run_id, claim_id=first, reviewer="alice", action="approve", machine_verdict=verdict,
                   expected_last_event=last)
    write_decision(store, run_id=run_id, claim_id=first, reviewer="erin", action="reject", machine_verdict=verdict,
                   corrected_label="REFUTED", force=True)
    assert decisions(store, run_id)[first].label == "REFUTED"


def test_writes_in_a_name_outside_the_users_file_are_refused(seeded_run, team):
    store, run_id, first = seeded_run.store, seeded_run.run.id, seeded_run.claims[0].id
    with pytest.raises(roles.PermissionDenied, match="mallory is not a user"):
        write_decision(store, run_id=run_id, claim_id=first, reviewer="mallory", action="approve",
                       machine_verdict=machine_verdict(seeded_run, first))
    with pytest.raises(roles.PermissionDenied, match="mallory is not a user"):
        claim_edits.set_check_worthy(store, run_id, first, "mallory", False)
    assert events_for(store, claim_id=first) == [] and claim_edits.events_of(store, run_id) == []
    claim_edits.set_check_worthy(store, run_id, first, "alice", False)  # a listed reviewer edits claims


def test_roles_take_effect_when_the_users_file_changes(seeded_run, tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(path, {"alice": "reviewer", "bob": "reviewer"}))
    assert not roles.can("alice", "override")
    users_file(path, {"alice": "editor", "bob": "reviewer"})
    assert roles.can("alice", "override")


def test_a_plain_text_password_or_a_weak_cookie_key_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    path.write_text("credentials:\n  usernames:\n    alice:\n      password: hunter2\ncookie:\n  key: "
                    + "k" * 40 + "\n", encoding="utf-8")
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", str(path))
    with pytest.raises(roles.ConfigError, match="the password of alice is not a bcrypt hash"):
        roles.require("alice", "decide")
    users_file(path)
    weak = [line if not line.startswith("  key:") else "  key: secret" for line in path.read_text().splitlines()]
    path.write_text("\n".join(weak), encoding="utf-8")
    with pytest.raises(roles.ConfigError, match="cookie.key must be a random secret"):
        roles.require("alice", "decide")


def test_a_proxy_header_names_the_user_and_unlisted_users_are_reviewers(seeded_run, monkeypatch, tmp_path):
    from ui.auth import header_user
    from verify.config import Settings

    monkeypatch.setenv("VERIFY_TRUSTED_USER_HEADER", "X-Forwarded-User")
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(tmp_path / "users.yaml", {"erin": "editor"}))
    settings = Settings.from_env()
    assert roles.mode(settings) == "header"
    assert header_user({"X-Forwarded-User": "erin"}, settings).role == "editor"
    assert header_user({"X-Forwarded-User": "zoe"}, settings).role == "reviewer"
    assert not roles.can("zoe", "override") and roles.can("erin", "override")


def test_auth_off_keeps_the_one_person_dashboard(seeded_run):
    from tests.ui.conftest import open_app

    at = open_app(seeded_run.run.id, reviewer="Alice")
    assert "Reviewer" in [t.label for t in at.sidebar.text_input]
    decide(at, "Approve")
    assert events_for(seeded_run.store, run_id=seeded_run.run.id)[-1].reviewer == "Alice"
    assert roles.can("anyone", "override")


# --- where the dashboard listens -------------------------------------------------------------------------


def start_ui(monkeypatch, tmp_path, *args: str):
    from typer.testing import CliRunner

    from verify import cli
    from verify.store import Store

    Store(tmp_path / "x.db").close()
    seen: dict = {}
    monkeypatch.setattr(cli.os, "execve", lambda exe, argv, env: seen.update(argv=argv))
    result = CliRunner().invoke(cli.app, ["ui", "--db", str(tmp_path / "x.db"), *args])
    return result, seen.get("argv")


def test_verify_ui_refuses_a_network_address_without_a_login(monkeypatch, tmp_path):
    result, argv = start_ui(monkeypatch, tmp_path, "--address", "0.0.0.0")
    assert result.exit_code == 2 and argv is None, result.output
    assert "error: refusing to serve the dashboard on 0.0.0.0 with no login" in result.output
    assert "VERIFY_AUTH_CONFIG" in result.output
    result, argv = start_ui(monkeypatch, tmp_path, "--address", "localhost")  # still this machine only
    assert result.exit_code == 0 and argv[argv.index("--server.address") + 1] == "localhost"


def test_verify_ui_serves_the_network_once_a_users_file_is_set(monkeypatch, tmp_path, team):
    result, argv = start_ui(monkeypatch, tmp_path, "--address", "0.0.0.0")
    assert result.exit_code == 0, result.output
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"


def test_verify_ui_refuses_a_broken_users_file_before_starting(monkeypatch, tmp_path):
    (tmp_path / "users.yaml").write_text("credentials:\n  usernames:\n    alice:\n      password: hunter2\n")
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", str(tmp_path / "users.yaml"))
    result, argv = start_ui(monkeypatch, tmp_path)
    assert result.exit_code == 2 and argv is None
    assert "the password of alice is not a bcrypt hash" in result.output


def test_the_page_refuses_to_serve_a_network_address_without_a_login(seeded_run):
    """`streamlit run ui/app.py --server.address 0.0.0.0` bypasses `verify ui`: the page refuses too."""
    from streamlit import config

    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["run"] = seeded_run.run.id
    config.set_option("server.address", "0.0.0.0")
    try:
        checked(at.run())
    finally:
        config.set_option("server.address", None)
    assert "served on 0.0.0.0 with no login" in visible(at) and not at.selectbox


def test_streamlit_run_listens_on_this_machine_only_by_default():
    import tomllib
    from pathlib import Path

    settings = tomllib.loads((Path(APP).parents[1] / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["address"] == "127.0.0.1"


def test_log_out_and_a_user_taken_out_of_the_file_is_out_at_once(seeded_run, tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(path))
    at = open_team_app(seeded_run.run.id)
    log_in(at, "alice", PASSWORDS["alice"])
    checked(at.sidebar.button(key="verify_logout").click().run())
    assert "Log in to review" in visible(at) and not at.selectbox
    log_in(at, "alice", PASSWORDS["alice"])
    assert at.selectbox
    users_file(path, {"bob": "reviewer", "erin": "editor"})  # an admin removes alice
    checked(at.run())
    assert "Your account is no longer in the users file" in visible(at) and not at.selectbox


def test_verify_hash_password_prints_a_hash_the_users_file_accepts(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from verify import cli

    result = CliRunner().invoke(cli.app, ["hash-password"], input="s3cret pass\ns3cret pass\n")
    assert result.exit_code == 0, result.output
    hashed = result.output.strip().splitlines()[-1]
    assert roles.BCRYPT.match(hashed) and bcrypt.checkpw(b"s3cret pass", hashed.encode())
    assert "s3cret" not in result.output  # never echoed
