"""Issue 10: clean `error:` lines instead of tracebacks, and nothing lost on the way.

A full disk under a report, a damaged JSON row in the store, malformed settings, a missing, foreign or
read-only store, an embedder typo: each is one line saying what to do, and no file is damaged by it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SEED_ARTICLE, SEED_SOURCES
from verify import report as report_module
from verify.cli import app
from verify.errors import StoreError
from verify.store import Store

runner = CliRunner()


def clean_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in result.output, result.output


# --- 1. writing a report ------------------------------------------------------------------------------


def test_report_on_a_full_disk_keeps_the_earlier_report(seeded_run, tmp_path, monkeypatch):
    out = tmp_path / "report.md"
    assert runner.invoke(app, ["report", seeded_run.run.id, "-o", str(out)]).exit_code == 0
    out.chmod(0o640)
    assert runner.invoke(app, ["report", seeded_run.run.id, "-o", str(out)]).exit_code == 0
    assert (out.stat().st_mode & 0o777) == 0o640  # a replaced report keeps its permissions
    earlier = out.read_bytes()
    written = []

    def full_after_4k(fd, data):  # the disk fills up part-way through the new report
        if sum(written) >= 4096:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(min(len(data), 4096))
        return os.write(fd, bytes(data[:4096]))

    monkeypatch.setattr(report_module.os, "write", full_after_4k, raising=True)
    result = runner.invoke(app, ["report", seeded_run.run.id, "--format", "html", "-o", str(out)])
    monkeypatch.undo()
    clean_error(result, "no space left on the disk", "unchanged")
    assert out.read_bytes() == earlier  # not a 0-byte or half-written file
    assert sorted(p.name for p in tmp_path.iterdir() if "report" in p.name) == ["report.md"]  # no temp file left


def test_report_to_a_folder_is_a_clear_error(seeded_run, tmp_path):
    result = runner.invoke(app, ["report", seeded_run.run.id, "-o", str(tmp_path)])
    clean_error(result, "is a folder", "give a file name")


def test_report_to_a_device_is_written_in_place_not_replaced(seeded_run):
    result = runner.invoke(app, ["report", seeded_run.run.id, "-o", "/dev/full"])
    clean_error(result, "no space left on the disk to write /dev/full")
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")  # still the device


def test_report_to_a_full_standard_output_is_a_clear_error(seeded_run, tmp_path):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "verify.cli", "report", seeded_run.run.id],
                              stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert "error: no space left on the disk to write standard output" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


# --- 2. one damaged JSON row ----------------------------------------------------------------------------


def damage(store: Store, sql: str, *params) -> None:
    """Write a damaged row with plain SQL, below the store's models (on SQLite or PostgreSQL: --store)."""
    with store.transaction() as tx:
        tx.execute(sql, params)


def test_a_damaged_verdict_row_is_named_and_the_rest_is_shown(seeded_run):
    store = seeded_run.store
    claims = store.get_claims(seeded_run.run.id)
    bad = store.get_verdicts(seeded_run.run.id)[claims[1].id]
    damage(store, "UPDATE verdicts SET data = '{\"id\": \"trunc' WHERE id = ?", bad.id)

    shown = runner.invoke(app, ["show", seeded_run.run.id], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"verdicts row '{bad.id}'" in shown.output and "unreadable" in shown.output
    assert "Steve Witkoff a rencontré Vladimir Poutine" in shown.output and "FAILED" in shown.output

    report = runner.invoke(app, ["report", seeded_run.run.id, "--format", "json"])
    assert report.exit_code == 0, report.output
    import json

    entries = json.loads(report.stdout)["claims"]
    assert len(entries) == len(claims)
    assert entries[1]["machine"]["status"] == "error" and entries[1]["machine"]["label"] is None  # no label invented
    assert "unreadable" in entries[1]["machine"]["error"]
    assert entries[0]["machine"]["status"] == "ok"


def test_a_damaged_claim_row_is_named_and_the_other_claims_are_shown(seeded_run):
    store = seeded_run.store
    claims = store.get_claims(seeded_run.run.id)
    damage(store, "UPDATE claims SET data = 'not json' WHERE id = ?", claims[0].id)
    shown = runner.invoke(app, ["show", seeded_run.run.id], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"claims row '{claims[0].id}'" in shown.output
    assert "Karoline Leavitt" in shown.output  # a later claim is still there
    report = runner.invoke(app, ["report", seeded_run.run.id, "--format", "md"])
    assert report.exit_code == 0 and "Karoline Leavitt" in report.stdout, report.output


def test_a_damaged_run_row_is_named_and_the_other_runs_listed(seeded_run):
    store = seeded_run.store
    damage(store, "INSERT INTO runs SELECT 'r-damaged', article_id, created_at, status, '{oops', summary FROM runs")
    listing = runner.invoke(app, ["runs"], terminal_width=200)
    assert listing.exit_code == 0, listing.output
    assert seeded_run.run.id in listing.output and "runs row 'r-damaged'" in listing.output
    clean_error(runner.invoke(app, ["show", "r-damaged"]), "runs row 'r-damaged'", "unreadable")


# --- 3. malformed settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, value, needle", [
    ("VERIFY_TOP_K", "five", "VERIFY_TOP_K='five' is not valid: expected a whole number"),
    ("VERIFY_DB_TIMEOUT", "30s", "VERIFY_DB_TIMEOUT='30s' is not valid: expected a number of seconds"),
    ("VERIFY_EXTRACT_MODE", "fast", "expected one of 'auto', 'abstractive' or 'extractive'"),
    ("VERIFY_CONCURRENCY", "0", "VERIFY_CONCURRENCY='0' is not valid"),
])
def test_a_malformed_setting_names_the_variable_and_the_accepted_form(name, value, needle, monkeypatch):
    monkeypatch.setenv(name, value)
    clean_error(runner.invoke(app, ["run", str(SEED_ARTICLE), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]),
                needle)
    clean_error(runner.invoke(app, ["runs"]), needle)


def test_a_bad_flag_value_names_the_flag(tmp_path):
    result = runner.invoke(app, ["run", str(SEED_ARTICLE), "--concurrency", "0", "--model", "m",
                                 "--base-url", "http://127.0.0.1:9/v1"])
    clean_error(result, "--concurrency=0 is not valid: expected a whole number")
    assert not (tmp_path / "verify.db").exists()  # refused before the store was created


# --- 4. missing, foreign and read-only stores ------------------------------------------------------------


@pytest.mark.parametrize("command", [["runs"], ["show", "r1"], ["report", "r1"]])
def test_a_reading_command_on_a_missing_store_creates_nothing(command, tmp_path):
    typo = tmp_path / "verfy.db"
    clean_error(runner.invoke(app, [*command, "--db", str(typo)]), f"no store at {typo}", "--db")
    assert not typo.exists()


def foreign_db(path):
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.execute("INSERT INTO notes (body) VALUES ('my research notes')")
    con.close()
    return path.read_bytes()


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    before = foreign_db(path)
    with pytest.raises(StoreError, match="verify did not create"):
        Store(path)
    clean_error(runner.invoke(app, ["runs", "--db", str(path)]), "verify did not create", "choose another --db")
    assert path.read_bytes() == before  # no verify table added


def test_a_new_store_carries_the_marker_and_an_older_one_is_adopted(tmp_path):
    from verify.store import APPLICATION_ID

    new = Store(tmp_path / "new.db")
    assert new.query("PRAGMA application_id")[0][0] == APPLICATION_ID
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as con:  # what verify wrote before the marker existed
        from verify.store import MIGRATIONS

        con.executescript(MIGRATIONS[0][1])
        con.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        con.execute("INSERT INTO schema_migrations VALUES ('001_initial', '2025-01-01T00:00:00Z')")
    con.close()
    assert runner.invoke(app, ["runs", "--db", str(old)]).exit_code == 0  # migrated, then read
    assert Store(old).query("PRAGMA application_id")[0][0] == APPLICATION_ID


@pytest.fixture
def read_only_copy(seeded_run, tmp_path):
    """The seeded store in a folder nobody can write: chmod for a normal user; for root (who ignores
    permissions) a read-only bind mount. Skipped where neither is possible."""
    store = seeded_run.store
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    src = tmp_path / "src"
    src.mkdir()
    (src / "verify.db").write_bytes(store.path.read_bytes())
    if os.geteuid() != 0:
        (src / "verify.db").chmod(0o444)
        src.chmod(0o555)
        yield src / "verify.db"
        src.chmod(0o755)
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(src), str(ro)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only mount here")
    try:
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")
        yield ro / "verify.db"
    finally:
        subprocess.run(["umount", "--lazy", str(ro)], check=True)  # the CLI leaves its connection open


@pytest.mark.sqlite_only(reason="copies the store's SQLite file into a read-only folder")
def test_reading_commands_work_on_a_read_only_store(read_only_copy, seeded_run):
    run_id = seeded_run.run.id
    listing = runner.invoke(app, ["runs", "--db", str(read_only_copy)], terminal_width=200)
    assert listing.exit_code == 0 and run_id in listing.output, listing.output
    assert runner.invoke(app, ["show", run_id, "--db", str(read_only_copy)]).exit_code == 0
    report = runner.invoke(app, ["report", run_id, "--db", str(read_only_copy)])
    assert report.exit_code == 0 and report.stdout.startswith("# Citation report"), report.output


# --- 5. embedder typo -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec, needle", [("hsah", "unknown embedder 'hsah'"),
                                          ("hash:x", "the dimension must be a whole number")])
def test_an_embedder_typo_is_refused_before_anything_is_created(spec, needle, tmp_path):
    vs = tmp_path / "library"
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES), "--vectorstore", str(vs), "--embedder", spec])
    clean_error(result, needle, "--embedder=")
    assert not vs.exists()  # no collection stamped with the typo
    again = runner.invoke(app, ["ingest", str(SEED_SOURCES / "nbc-kellogg-talks.md"), "--vectorstore", str(vs)])
    assert again.exit_code == 0, again.output  # the right spec opens it afterwards
