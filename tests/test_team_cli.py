"""`verify assign`, `verify unassign`, `verify queue`, `verify agreement` (team review, issue 14)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.test_team import crew, first_decides, ids, second_decides  # noqa: F401 - crew is a fixture
from verify.cli import app

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args), terminal_width=200)


def test_assign_queue_and_agreement_from_the_command_line(crew):  # noqa: F811
    run_id = crew.run.id
    c1, c2, c3, c4 = ids(crew)
    done = cli("assign", run_id, "--claim", "1", "--claim", "#2", "--to", "alice", "--second", "bob", "--by", "erin")
    assert done.exit_code == 0, done.output
    assert "assigned 2 claim(s) of run" in done.output and "second reviewer (blind) bob" in done.output
    assert {(e.claim_id, e.slot) for e in crew.store.assignment_events(run_id=run_id)} == \
        {(c1, "first"), (c1, "second"), (c2, "first"), (c2, "second")}

    listed = cli("queue", "bob")
    assert listed.exit_code == 0, listed.output
    assert "bob: 2 open item(s) in 1 run(s)" in listed.output and "#1 blind second review" in listed.output

    for cid in (c1, c2):
        first_decides(crew, cid, "approve")
    second_decides(crew, c1, "reject", "REFUTED")
    second_decides(crew, c2, "approve")
    assert "alice: nothing open" in cli("queue", "alice").output
    editor = cli("queue", "erin").output
    assert "#1 disagreement to resolve" in editor and "#2" not in editor

    figure = cli("agreement", run_id)
    assert figure.exit_code == 0, figure.output
    # SUPPORTED/REFUTED and REFUTED/REFUTED: po 1/2, pe 1/2 -> kappa 0
    assert f"run {run_id}: kappa 0.00 · raw agreement 50% (1 of 2 claims)" in figure.output
    assert "alice & bob: kappa 0.00" in figure.output and "1 disagreement(s) waiting for an editor" in figure.output

    gone = cli("unassign", run_id, "bob", "--by", "erin")
    assert gone.exit_code == 0 and "unassigned bob" in gone.output
    assert "bob: nothing open" in cli("queue", "bob").output


def test_a_reviewer_cannot_assign_from_the_command_line(crew):  # noqa: F811
    refused = cli("assign", crew.run.id, "--to", "alice", "--by", "bob")
    assert refused.exit_code == 2
    assert "error: bob is a reviewer: only an editor or an admin can assign claims to reviewers" in refused.output
    assert crew.store.assignment_events() == []
    missing = cli("assign", "r-nope", "--to", "alice", "--by", "erin")
    assert missing.exit_code == 2 and "no run 'r-nope'" in missing.output
