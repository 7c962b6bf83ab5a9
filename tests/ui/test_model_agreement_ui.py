"""The runs page's "Model vs reviewers" section, and what the runs page and the run page tell reviewers
of a blind second review (issue 14): AppTest against a real store and a real users file."""

from __future__ import annotations

from tests.test_team import first_decides, ids, second_decides
from tests.ui.conftest import open_app, visible
from tests.ui.test_team_review import crew, everything, signed_in  # noqa: F401 - crew is a fixture
from verify import team


def reviewed_column(at) -> str:
    return at.dataframe[0].value.iloc[0]["reviewed"]


def test_the_runs_page_shows_each_models_agreement_with_the_reviewers(seeded_run):
    c1, c2, c3, c4 = ids(seeded_run)  # machine: SUPPORTED, REFUTED, SUPPORTED, NOT_ENOUGH_INFO
    first_decides(seeded_run, c1, "approve")
    first_decides(seeded_run, c2, "approve")
    first_decides(seeded_run, c3, "reject", "REFUTED")
    first_decides(seeded_run, c4, "needs_evidence")
    at = open_app()
    text = visible(at)
    assert "Model vs reviewers" in text
    # machine [S, R, S] vs reviewer [S, R, R]: 2 of 3, kappa (2/3 - 4/9) / (5/9) = 0.40
    assert "**fake-model**: agreement 67% (2 of 3 reviewed claims, 1 run(s)) · kappa 0.40" in text
    confusion = at.dataframe[1].value  # the runs table, then one confusion table per model
    assert confusion.to_dict("records") == [
        {"machine": "SUPPORTED", "reviewer SUPPORTED": 1, "reviewer REFUTED": 1, "reviewer NOT_ENOUGH_INFO": 0},
        {"machine": "REFUTED", "reviewer SUPPORTED": 0, "reviewer REFUTED": 1, "reviewer NOT_ENOUGH_INFO": 0}]


def test_the_runs_page_says_so_when_nothing_is_reviewed(seeded_run):
    assert "No reviewed claim yet" in visible(open_app())


def test_a_blind_second_reviewer_sees_their_own_count_not_the_first_reviewers(crew):  # noqa: F811
    c1, c2, c3, _ = ids(crew)
    team.assign(crew.store, crew.run.id, by="erin", to="alice", second="bob", claim_ids=[c1, c2, c3])
    for cid in (c1, c2, c3):
        first_decides(crew, cid, "approve")
    alice = signed_in(None, "alice")
    assert reviewed_column(alice) == "3 / 4"
    assert "agreement 100% (3 of 3 reviewed claims" in visible(alice)

    bob = signed_in(None, "bob")
    assert reviewed_column(bob) == "0 / 4", "bob must not learn how many of his blind claims alice decided"
    assert "3 / 4" not in everything(bob)
    assert "No reviewed claim yet" in visible(bob), "the model figure leaves out bob's blind claims"

    second_decides(crew, c1, "reject", "REFUTED")
    bob = signed_in(None, "bob")
    assert reviewed_column(bob) == "1 / 4", "his own blind decision counts"
    assert "No reviewed claim yet" in visible(bob)


def test_the_agreement_line_is_for_editors_only(crew):  # noqa: F811
    run_id = crew.run.id
    c1, _, c3, _ = ids(crew)  # both SUPPORTED by the machine
    team.assign(crew.store, run_id, by="erin", to="alice", second="bob", claim_ids=[c1, c3])
    for cid in (c1, c3):
        first_decides(crew, cid, "approve")
        second_decides(crew, cid, "reject", "REFUTED")
    alice = signed_in(run_id, "alice")
    assert "Second-review agreement" not in visible(alice), "alice could read bob's labels off a small run"
    assert "kappa" not in visible(alice)
    editor = signed_in(run_id, "erin")
    assert "Second-review agreement**: kappa 0.00 · raw agreement 0% (0 of 2 claims) · 2 disagreements" \
        in visible(editor)


def test_with_auth_off_the_one_person_sees_the_agreement(seeded_run):
    run_id = seeded_run.run.id
    c1 = ids(seeded_run)[0]
    team.assign(seeded_run.store, run_id, by="me", to="me", second="you", claim_ids=[c1])
    first_decides(seeded_run, c1, "approve", who="me")
    second_decides(seeded_run, c1, "approve", who="you")
    at = open_app(run_id)
    assert "Second-review agreement**: kappa n/a (one label only) · raw agreement 100% (1 of 1 claims)" in visible(at)
