"""Issue 14: one store on SQLite (the embedded default) or PostgreSQL (teams), one Alembic history.

PostgreSQL is real: Debian's server, started by the `postgres` fixture on 127.0.0.1, a fresh database
per test. `store_url` runs a test on both stores.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES, seed_script
from tests.fakes import register_fake, scripted
from verify import review
from verify.cli import app
from verify.errors import StoreError
from verify.review import ReviewConflict
from verify.store import MIGRATIONS, Store

runner = CliRunner()


def revisions() -> tuple[str, ...]:
    from verify.store.schema import revisions as alembic_revisions  # (imported here: the older store has no schema.py)

    return alembic_revisions()


def columns(url: str, upto: str | None = None) -> dict[str, list[str]]:
    """Every table of the database at `url` with its columns, in order, as the database reports them;
    with `upto`, first built by Alembic's history up to that revision."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from verify.store import schema

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            if upto:
                command.upgrade(schema._config(conn), upto)
            found = inspect(conn)
            return {table: [c["name"] for c in found.get_columns(table)] for table in found.get_table_names()
                    if table not in ("schema_migrations", "alembic_version")}
    finally:
        engine.dispose()


def legacy_store(path, upto: int) -> None:
    """A store exactly as the verify before Alembic wrote it: its first `upto` SQL migrations, recorded by
    name in schema_migrations (no application_id: as the very first releases)."""
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, sql in MIGRATIONS[:upto]:
            con.executescript(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, '2025-01-01T00:00:00Z')", (name,))
    con.close()


# --- one schema, one history -----------------------------------------------------------------------

def test_alembic_history_keeps_the_migration_names_and_builds_the_same_tables_as_before(tmp_path, postgres,
                                                                                       postgres_url):
    """The SQL migrations of the verify before Alembic and Alembic's revisions of the same names build the
    same tables and columns, on SQLite and on PostgreSQL."""
    names = [name for name, _ in MIGRATIONS]
    assert list(revisions())[:len(names)] == names  # revision ids are the old names; newer ones come after
    legacy_store(tmp_path / "legacy.db", len(MIGRATIONS))
    legacy = columns(f"sqlite:///{tmp_path / 'legacy.db'}")
    assert columns(f"sqlite:///{tmp_path / 'alembic.db'}", upto=names[-1]) == legacy
    assert columns(postgres_url, upto=names[-1]) == legacy
    fresh = postgres.create_database(f"fresh_{tmp_path.name[-20:].lower()}")
    try:
        for store in (Store(tmp_path / "new.db"), Store(fresh)):  # a store opened by verify is at the head
            assert store.query("SELECT version_num FROM alembic_version")[0][0] == revisions()[-1]
            assert [r[0] for r in store.query("SELECT name FROM schema_migrations ORDER BY name")] == list(revisions())
            store.close()
    finally:
        postgres.drop_database(fresh.rsplit("/", 1)[1])


def test_a_store_made_before_alembic_migrates_forward_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    legacy_store(path, 4)  # 001..004: a store from before claim events, claim memory and team review
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO articles VALUES ('a1', 't', 'fr', 'text', 'x', '2025-01-01')")
        con.execute("INSERT INTO runs VALUES ('r1', 'a1', '2025-01-01', 'done', '{}', '{}')")
        con.execute("INSERT INTO claims VALUES ('c1', 'r1', 0, 'c', 'c', 0, 1, 'exact', '{}')")
        con.execute("INSERT INTO review_events (run_id, claim_id, reviewer, action, created_at) "
                    "VALUES ('r1', 'c1', 'alice', 'approve', '2025-01-02')")
    con.close()
    Store(path, read_only=True).close()  # a reading command upgrades an older store once, then reads
    store = Store(path)
    assert store.query("SELECT version_num FROM alembic_version")[0][0] == "007_team_review"
    assert [r[0] for r in store.query("SELECT name FROM schema_migrations ORDER BY name")] == list(revisions())
    assert store.get_article("a1").text == "text"  # old rows kept
    assert [(e.id, e.reviewer) for e in store.review_events(claim_id="c1")] == [(1, "alice")]
    event = store.append_review_event(run_id="r1", claim_id="c1", expected_last_event=1, draw_up=lambda events: (
        review.NewReviewEvent(reviewer="bob", action="undo", label_before=None, label_after=None,
                              previous_event_id=events[-1].id)))
    assert event.id == 2  # ids go on after the old ones
    assert store.query("SELECT COUNT(*) FROM team_decisions")[0][0] == 0  # the newer tables are there


def test_a_store_from_a_newer_verify_is_refused_on_both_engines(store_url):
    Store(store_url).close()
    store = Store(store_url)
    with store.transaction() as db:
        db.execute("UPDATE alembic_version SET version_num = '999_future'")
    store.close()
    with pytest.raises(StoreError, match=r"written by a newer verify \(migrations \['999_future'\]\); upgrade verify"):
        Store(store_url)


def test_ids_are_given_by_the_database_on_both_engines(store_url, seeded_run):
    store, run_id = seeded_run.store, seeded_run.run.id
    claim = seeded_run.claims[0]
    verdict = seeded_run.verdicts[claim.id]
    ids = [review.decide(store, run_id=run_id, claim_id=claim.id, reviewer=who, action="approve",
                         machine_verdict=verdict, force=True).id for who in ("alice", "bob", "carol")]
    assert ids == [1, 2, 3]
    calls = store.llm_calls(run_id)
    assert [c.id for c in calls] == list(range(1, len(calls) + 1))


# --- concurrency ---------------------------------------------------------------------------------

def test_two_reviewers_deciding_one_claim_at_the_same_moment_exactly_one_wins(store_url, seeded_run, monkeypatch):
    """Two dashboards (two connections) decide the same unreviewed claim at once. The second must see the
    first's event inside its own transaction and get the conflict, never append beside it."""
    run_id, claim = seeded_run.run.id, seeded_run.claims[0]
    verdict = seeded_run.verdicts[claim.id]
    original = review.replay

    def slow_replay(*args, **kwargs):  # widen the read-check-append window to half a second
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(review, "replay", slow_replay)
    stores = {who: Store(seeded_run.store.location) for who in ("alice", "bob")}
    start, outcome = threading.Barrier(2), {}

    choice = {"alice": ("approve", None), "bob": ("reject", "REFUTED")}  # different decisions: a real conflict

    def decide(who: str) -> None:
        action, corrected = choice[who]
        start.wait()
        try:
            review.decide(stores[who], run_id=run_id, claim_id=claim.id, reviewer=who, action=action,
                          machine_verdict=verdict, corrected_label=corrected, expected_last_event=None)
            outcome[who] = "written"
        except ReviewConflict as exc:
            outcome[who] = str(exc)

    threads = [threading.Thread(target=decide, args=(who,)) for who in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    (winner,) = [who for who, result in outcome.items() if result == "written"]  # one, not both
    (loser,) = [who for who in stores if who != winner]
    assert f"{winner} changed this claim" in outcome[loser]
    assert [e.reviewer for e in seeded_run.store.review_events(claim_id=claim.id)] == [winner]


# --- PostgreSQL: its own clear errors ---------------------------------------------------------------

def fails_with(args: list[str], *needles: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    for needle in needles:
        assert needle in text, text
    return text


def test_postgresql_server_unreachable_auth_refused_and_missing_database_are_one_line_each(postgres, postgres_url):
    closed = f"postgresql://verify:s3cret@127.0.0.1:{_free_port()}/verify"
    text = fails_with(["runs", "--db", closed], "error: cannot reach the PostgreSQL server at 127.0.0.1:",
                      "start it, or fix the host and port in VERIFY_DB")
    assert "s3cret" not in text  # the password is never printed
    nobody = postgres_url.replace(f"//{postgres.user}@", "//nobody@")
    fails_with(["runs", "--db", nobody], "error: PostgreSQL at 127.0.0.1:", "refused user 'nobody'",
               "check the user and password in VERIFY_DB")
    missing = postgres.url("no_such_db")
    fails_with(["runs", "--db", missing], "error: the PostgreSQL database 'no_such_db' does not exist",
               "create it (createdb no_such_db) or fix the database name in VERIFY_DB")


def test_postgresql_database_of_another_program_or_without_a_store_is_left_untouched(postgres_url):
    fails_with(["runs", "--db", postgres_url], "no store in the database", "`verify run` creates the store")
    with pytest.raises(StoreError, match="no store in the database"):
        Store(postgres_url, read_only=True)
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # a table some other program made
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"holds tables verify did not create \(invoices\); it was left untouched"):
        Store(postgres_url)


def test_a_read_only_postgresql_store_never_writes(store_url):
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite's read-only mode is tested in tests/faults/test_clean_errors.py")
    Store(store_url).close()
    reader = Store(store_url, read_only=True)
    with pytest.raises(StoreError, match="was opened read-only"):
        reader.finish_run("r", "done", {})


def test_a_locked_postgresql_store_is_a_clear_error(postgres_url):
    holder, writer = Store(postgres_url), Store(postgres_url, timeout_s=0.3)
    with holder.transaction():  # another process is writing and holds the store's write lock
        with pytest.raises(StoreError, match="is locked by another process"):
            writer.finish_run("r", "done", {})
        assert writer.list_runs() == []  # readers are not blocked by a writer


def test_verify_db_must_be_a_file_or_a_postgresql_url():
    fails_with(["runs", "--db", "mysql://x@h/db"], "not a store verify can use",
               "postgresql://user:password@host:5432/database")


# --- end to end through the CLI on PostgreSQL -------------------------------------------------------

def test_verify_run_and_report_through_the_cli_on_postgresql(postgres_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERIFY_DB", postgres_url)
    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    monkeypatch.setenv("VERIFY_WINDOW_CHARS", "20000")  # one extraction call, as scripted
    register_fake(scripted(*seed_script()))
    result = runner.invoke(app, ["run", str(SEED_ARTICLE), "--sources", str(SEED_SOURCES), "--model", "fake", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert f"Stored in {postgres_url}" in " ".join(result.output.split())
    assert not (tmp_path / "verify.db").exists()  # nothing went to a file
    store = Store(postgres_url, read_only=True)
    (run,) = store.list_runs()
    assert len(store.get_verdicts(run.id)) == len(SEED_CLAIMS)
    listed = runner.invoke(app, ["runs"])
    assert listed.exit_code == 0 and run.id in listed.output, listed.output
    report = runner.invoke(app, ["report", run.id, "--format", "md", "-o", str(tmp_path / "report.md")])
    assert report.exit_code == 0, report.output
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert all(claim in text for _, claim, _, _ in SEED_CLAIMS)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_dashboard_reviews_a_run_stored_in_postgresql(postgres_url, monkeypatch):
    """VERIFY_DB=postgresql://... : the dashboard lists the run, and a decision made in it lands in PostgreSQL."""
    from tests.conftest import make_pipeline
    from tests.ui.conftest import decide, focus, open_app, visible
    from verify.review import decisions

    monkeypatch.setenv("VERIFY_DB", postgres_url)
    pipeline = make_pipeline(scripted(*seed_script()))
    outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    assert pipeline.store.postgres
    first = outcome.claims[0].id
    at = open_app(outcome.run.id)
    assert focus(at) == first
    decide(at, "Approve", note="checked on the team store")
    decision = decisions(Store(postgres_url, read_only=True), outcome.run.id)[first]
    assert (decision.state, decision.reviewer, decision.note) == ("approved", "Alice", "checked on the team store")
    assert "Recorded: approve" in visible(at)
