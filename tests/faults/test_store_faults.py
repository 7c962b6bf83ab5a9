"""The SQLite store: WAL, one transaction per claim, migration of older stores, clear errors for a
corrupted or locked file (in the API and on the command line, never a traceback)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE
from verify.cli import app
from verify.errors import StoreError
from verify.store import MIGRATIONS, Store

runner = CliRunner()


def test_store_uses_wal(tmp_path):
    store = Store(tmp_path / "v.db")
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"


def test_a_claims_evidence_and_verdict_are_one_transaction(store_url, seeded_run):
    store = seeded_run.store
    claim = store.get_claims(seeded_run.run.id)[0]
    evidence = store.get_evidence(claim.id)
    verdict = store.get_verdicts(seeded_run.run.id)[claim.id]
    broken = verdict.model_copy(update={"run_id": "no-such-run"})  # the verdict insert fails (foreign key)
    with pytest.raises(IntegrityError):
        store.save_judgement(claim, evidence[:1], broken)
    assert len(store.get_evidence(claim.id)) == len(evidence)  # the evidence delete/insert was rolled back
    assert store.get_verdicts(seeded_run.run.id)[claim.id] == verdict


def test_store_from_an_older_schema_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:  # what the first release wrote: only the first migration
        con.executescript(MIGRATIONS[0][1])
        con.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        con.execute("INSERT INTO schema_migrations VALUES ('001_initial', '2025-01-01T00:00:00Z')")
        con.execute("INSERT INTO articles VALUES ('a1', 't', 'fr', 'text', 'x', '2025-01-01')")
    store = Store(path)
    names = [row[0] for row in store.query("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    assert store.get_article("a1").text == "text"  # old rows kept
    assert store.query("SELECT COUNT(*) FROM review_events")[0][0] == 0


def test_corrupted_store_is_a_clear_error(tmp_path):
    path = tmp_path / "v.db"
    path.write_bytes(b"this is not a database, it is a text file that someone renamed" * 100)
    with pytest.raises(StoreError, match="not a readable SQLite database"):
        Store(path)
    result = runner.invoke(app, ["runs", "--db", str(path)])
    assert result.exit_code == 2 and "not a readable SQLite database" in result.output
    assert "move it aside" in result.output and "Traceback" not in result.output


@pytest.mark.sqlite_only(reason="overwrites pages of the store's SQLite file")
def test_store_with_corrupted_pages_is_a_clear_error(seeded_run, tmp_path):
    path = seeded_run.store.path
    seeded_run.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seeded_run.store.close()
    data = bytearray(path.read_bytes())
    data[4096:len(data) - 4096] = b"\xde\xad\xbe\xef" * ((len(data) - 8192) // 4)  # keep the header page
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["show", seeded_run.run.id, "--db", str(path)])
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output


def test_locked_store_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "v.db"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process is writing and holds the lock
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            Store(path, timeout_s=0.2)
        monkeypatch.setenv("VERIFY_DB_TIMEOUT", "0.2")
        reading = runner.invoke(app, ["runs", "--db", str(path)])  # WAL: readers are not blocked by a writer
        assert reading.exit_code == 0, reading.output
        writing = runner.invoke(app, ["run", str(SEED_ARTICLE), "--db", str(path), "--model", "m",
                                      "--base-url", "http://127.0.0.1:9/v1"])
        assert writing.exit_code == 2 and "is locked by another process" in writing.output, writing.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_write_on_a_store_locked_mid_run_is_a_clear_error(tmp_path):
    store = Store(tmp_path / "v.db", timeout_s=0.2)
    holder = sqlite3.connect(tmp_path / "v.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.finish_run("r", "done", {})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
