"""`verify ui` starts Streamlit on the dashboard with the chosen store, address and port."""

from pathlib import Path

from typer.testing import CliRunner

from verify import cli
from verify.store import Store


def test_verify_ui_execs_streamlit_on_the_dashboard(monkeypatch, tmp_path):
    Store(tmp_path / "x.db").close()
    seen = {}
    monkeypatch.setattr(cli.os, "execve", lambda exe, argv, env: seen.update(argv=argv, env=env))
    result = CliRunner().invoke(cli.app, ["ui", "--db", str(tmp_path / "x.db"), "--port", "8765"])
    assert result.exit_code == 0, result.output
    argv = seen["argv"]
    assert argv[1:4] == ["-m", "streamlit", "run"] and Path(argv[4]).is_file() and argv[4].endswith("ui/app.py")
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8765"
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert seen["env"]["VERIFY_DB"] == str((tmp_path / "x.db").resolve())
    assert "http://127.0.0.1:8765" in result.output


def test_verify_ui_refuses_a_store_that_does_not_exist(monkeypatch, tmp_path):
    """A typo in --db used to start the dashboard on a new, empty store."""
    monkeypatch.setattr(cli.os, "execve", lambda *args: (_ for _ in ()).throw(AssertionError("started")))
    result = CliRunner().invoke(cli.app, ["ui", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 2
    assert f"error: no store at {(tmp_path / 'typo.db').resolve()}" in result.output
    assert "`verify run` creates the store" in result.output and not (tmp_path / "typo.db").exists()
