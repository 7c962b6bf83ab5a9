"""`verify batch` / `verify worker` refuse a missing, malformed or unreachable task queue with one `error:` line
(no PostgreSQL needed: these stop before any job is queued)."""

from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE
from verify.cli import app

runner = CliRunner()


def test_batch_without_a_queue_says_how_to_set_one():
    result = runner.invoke(app, ["batch", str(SEED_ARTICLE)])
    assert result.exit_code == 2
    assert "error: no task queue: set VERIFY_QUEUE=postgresql://" in result.output


def test_a_queue_that_is_not_postgresql_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("VERIFY_QUEUE", "redis://127.0.0.1:6379")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "VERIFY_QUEUE='redis://127.0.0.1:6379' is not valid (not a postgresql:// URL)" in result.output


def test_an_unreachable_queue_is_one_error_line_without_the_password(tmp_path):
    url = "postgresql://verify:s3cret@127.0.0.1:1/verify_queue"  # nothing listens on port 1
    for command in (["batch", str(SEED_ARTICLE), "--queue", url], ["worker", "--queue", url],
                    ["batch-status", "b-x", "--queue", url]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, command
        assert "error: the task queue at postgresql://verify:***@127.0.0.1:1/verify_queue could not be used" \
            in result.output, command
        assert "s3cret" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "verify.db").exists()  # nothing stored for a batch that could not be queued


def test_a_worker_refuses_a_stalled_timeout_shorter_than_its_heartbeat(monkeypatch):
    monkeypatch.setenv("VERIFY_QUEUE", "postgresql://verify@127.0.0.1:1/q")
    result = runner.invoke(app, ["worker", "--heartbeat", "10", "--stalled-after", "5"])
    assert result.exit_code == 2 and "--stalled-after (5 s) must be longer than --heartbeat (10 s)" in result.output
