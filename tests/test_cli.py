import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_SOURCES
from verify.cli import app
from verify.store import Store

runner = CliRunner()
README = Path(__file__).resolve().parent.parent / "README.md"


def test_ingest_reports_counts_and_skips_bad_files(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES), str(tmp_path / "empty.txt")])
    assert result.exit_code == 0, result.output
    assert "17 added" in result.output and "1 failed" in result.output
    assert "empty file" in result.output
    again = runner.invoke(app, ["ingest", str(SEED_SOURCES)])
    assert "17 unchanged" in again.output and "0 chunks embedded" in again.output


def test_runs_and_show_list_claims_verdicts_and_citations(seeded_run):
    listing = runner.invoke(app, ["runs"])
    assert seeded_run.run.id in listing.output
    shown = runner.invoke(app, ["show", seeded_run.run.id], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Steve Witkoff a rencontré Vladimir Poutine" in shown.output
    assert re.search(r"chars \d+-\d+ \(exact\)", shown.output)
    assert "SUPPORTED" in shown.output and "REFUTED" in shown.output
    assert "[1] supports" in shown.output  # each citation shows its sentence's own stance


@pytest.mark.sqlite_only(reason="creates the store as the file tmp_path/verify.db, not at VERIFY_DB")
def test_unknown_run_is_a_clear_error(tmp_path):
    Store(tmp_path / "verify.db").close()  # the store exists (VERIFY_DB), the run does not
    result = runner.invoke(app, ["show", "r-nope"])
    assert result.exit_code == 2 and "no run 'r-nope'" in result.output and "verify runs" in result.output


def test_every_command_has_help_and_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
        assert f"verify {name}" in readme, f"`verify {name}` is not documented in README.md"
