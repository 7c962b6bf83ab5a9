"""Assignment and blind second review (issue 14): the rules and the store, called directly.

Roles are checked inside the write functions: these tests craft the calls a forged request would make.
"""

from __future__ import annotations

import pytest

from tests.ui.test_auth import users_file
from verify import roles, team
from verify.errors import VerifyError
from verify.review import decide, decisions, events_for

pytestmark = pytest.mark.usefixtures("store_url")  # SQLite and PostgreSQL


@pytest.fixture
def crew(seeded_run, tmp_path, monkeypatch):
    """The seed run (claims: SUPPORTED, REFUTED, SUPPORTED, NOT_ENOUGH_INFO) and a users file: alice and
    bob reviewers, erin editor."""
    monkeypatch.setenv("VERIFY_AUTH_CONFIG", users_file(tmp_path / "users.yaml"))
    return seeded_run


def ids(run):
    return [c.id for c in run.claims]


def first_decides(run, claim_id, action, label=None, who="alice"):
    return decide(run.store, run_id=run.run.id, claim_id=claim_id, reviewer=who, action=action,
                  machine_verdict=run.verdicts[claim_id], corrected_label=label)


def second_decides(run, claim_id, action, label=None, who="bob"):
    return team.decide_second(run.store, run_id=run.run.id, claim_id=claim_id, reviewer=who, action=action,
                              machine_verdict=run.verdicts[claim_id], corrected_label=label)


def test_assignments_are_events_and_the_latest_per_slot_is_in_force(crew):
    store, run_id = crew.store, crew.run.id
    c1, c2, *_ = ids(crew)
    team.assign(store, run_id, by="erin", to="alice", second="bob")
    held = team.assignments(store, run_id)
    assert {(a.first, a.second) for a in held.values()} == {("alice", "bob")}
    team.assign(store, run_id, by="erin", to="bob", claim_ids=[c2])  # bob moves to first on claim 2
    team.unassign(store, run_id, by="erin", reviewer="alice", claim_ids=[c1])
    held = team.assignments(store, run_id)
    assert (held[c1].first, held[c1].second) == (None, "bob")
    assert (held[c2].first, held[c2].second) == ("bob", None)
    events = store.assignment_events(run_id=run_id)
    assert [(e.action, e.reviewer, e.slot, e.claim_id, e.actor, e.actor_role) for e in events] == [
        ("assign", "alice", "first", None, "erin", "editor"), ("assign", "bob", "second", None, "erin", "editor"),
        ("assign", "bob", "first", c2, "erin", "editor"), ("unassign", "alice", "first", c1, "erin", "editor")]
    assert all(e.created_at for e in events)


def test_a_reviewer_cannot_assign_unassign_or_resolve_by_calling_the_write_functions(crew):
    store, run_id = crew.store, crew.run.id
    c1 = ids(crew)[0]
    with pytest.raises(roles.PermissionDenied, match="alice is a reviewer: only an editor or an admin can assign"):
        team.assign(store, run_id, by="alice", to="alice", second="bob")
    team.assign(store, run_id, by="erin", to="alice", second="bob")
    with pytest.raises(roles.PermissionDenied, match="bob is a reviewer: only an editor or an admin can unassign"):
        team.unassign(store, run_id, by="bob", reviewer="bob")
    first_decides(crew, c1, "approve")
    second_decides(crew, c1, "reject", "REFUTED")
    with pytest.raises(roles.PermissionDenied, match="alice is a reviewer: only an editor or an admin can resolve"):
        team.resolve(store, run_id=run_id, claim_id=c1, editor="alice", label="SUPPORTED",
                     machine_verdict=crew.verdicts[c1])
    with pytest.raises(roles.PermissionDenied, match="mallory is not a user"):
        team.assign(store, run_id, by="mallory", to="alice")
    assert len(store.assignment_events(run_id=run_id)) == 2
    assert [t.kind for t in store.team_decisions(run_id=run_id)] == ["second"]


def test_only_the_assigned_second_reviewer_makes_the_blind_decision(crew):
    store, run_id = crew.store, crew.run.id
    c1 = ids(crew)[0]
    with pytest.raises(roles.PermissionDenied, match="bob is not the assigned second reviewer"):
        second_decides(crew, c1, "approve")  # nobody is assigned yet
    team.assign(store, run_id, by="erin", to="alice", second="bob")
    for outsider in ("alice", "erin"):  # the first reviewer, and even an editor, are not the second reviewer
        with pytest.raises(roles.PermissionDenied, match=f"{outsider} is not the assigned second reviewer"):
            second_decides(crew, c1, "approve", who=outsider)
    assert store.team_decisions(run_id=run_id) == []
    made = second_decides(crew, c1, "reject", "NOT_ENOUGH_INFO")
    assert (made.reviewer, made.kind, made.action, made.label) == ("bob", "second", "reject", "NOT_ENOUGH_INFO")
    assert events_for(store, claim_id=c1) == [], "a blind decision never enters the first review's log"
    with pytest.raises(roles.PermissionDenied, match="bob is the blind second reviewer of this claim"):
        first_decides(crew, c1, "approve", who="bob")  # a crafted first-pass decision from the blind reviewer
    assert events_for(store, claim_id=c1) == []


def test_a_disagreement_goes_to_the_editor_whose_decision_is_final_and_used_by_reports(crew):
    store, run_id = crew.store, crew.run.id
    c1, c2, c3, _ = ids(crew)
    team.assign(store, run_id, by="erin", to="alice", second="bob")
    for cid in (c1, c2, c3):
        first_decides(crew, cid, "approve")
    second_decides(crew, c1, "reject", "REFUTED")  # disagrees
    second_decides(crew, c2, "approve")  # agrees
    assert [(q.claim_id, q.slot) for q in team.disagreements(store)] == [(c1, "resolve")]
    with pytest.raises(VerifyError, match="no open disagreement to resolve \\(both reviewers agree\\)"):
        team.resolve(store, run_id=run_id, claim_id=c2, editor="erin", label="REFUTED",
                     machine_verdict=crew.verdicts[c2])

    final = team.resolve(store, run_id=run_id, claim_id=c1, editor="erin", label="REFUTED", note="source re-read",
                         machine_verdict=crew.verdicts[c1])
    assert (final.kind, final.role, final.reviewer, final.label) == ("final", "editor", "erin", "REFUTED")
    event = events_for(store, claim_id=c1)[-1]
    assert event.id == final.review_event_id and (event.reviewer, event.action, event.label_after) == \
        ("erin", "reject", "REFUTED")
    assert event.note.startswith("final decision on the disagreement between alice (SUPPORTED) and bob (REFUTED)")
    assert decisions(store, run_id)[c1].label == "REFUTED", "reports read the final decision"
    assert team.disagreements(store) == []
    with pytest.raises(VerifyError, match="already made the final decision"):
        second_decides(crew, c1, "approve")
    # the agreement keeps the first decision as it was before the editor's final
    figure = team.agreement(store, run_id).overall
    assert (figure.n, figure.agreed) == (2, 1)


def test_kappa_and_raw_agreement_per_run_and_per_pair(crew):
    store, run_id = crew.store, crew.run.id
    c1, c2, c3, c4 = ids(crew)  # machine: SUPPORTED, REFUTED, SUPPORTED, NOT_ENOUGH_INFO
    team.assign(store, run_id, by="erin", to="alice", second="bob", claim_ids=[c1, c2, c3])
    team.assign(store, run_id, by="erin", to="bob", second="alice", claim_ids=[c4])
    for cid in (c1, c2, c3):
        first_decides(crew, cid, "approve")
    first_decides(crew, c4, "reject", "REFUTED", who="bob")
    second_decides(crew, c1, "approve")  # SUPPORTED / SUPPORTED
    second_decides(crew, c2, "reject", "SUPPORTED")  # REFUTED / SUPPORTED
    second_decides(crew, c3, "needs_evidence")  # not decided: out of the figure
    second_decides(crew, c4, "approve", who="alice")  # REFUTED (bob) / NOT_ENOUGH_INFO (alice)
    result = team.agreement(store, run_id)
    # first: S, R, R; second: S, S, N. po = 1/3; pe = (2/3 * 0) + (1/3 * 2/3) + (0 * 1/3) = 2/9
    assert result.overall.n == 3 and result.overall.agreed == 1
    assert result.overall.kappa == pytest.approx((1 / 3 - 2 / 9) / (1 - 2 / 9))
    assert [p.pair for p in result.pairs] == [("alice", "bob")], "a pair is the same whoever reviewed first"
    assert team.describe(result.overall) == "kappa 0.14 · raw agreement 33% (1 of 3 claims)"
    assert team.cohen_kappa(["SUPPORTED", "SUPPORTED"], ["SUPPORTED", "SUPPORTED"]) is None  # undefined: one label


def test_blind_view_hides_the_first_decision_from_the_second_reviewer_only(crew):
    store, run_id = crew.store, crew.run.id
    c1, c2, *_ = ids(crew)
    team.assign(store, run_id, by="erin", to="alice", second="bob")
    first_decides(crew, c1, "approve")
    first_decides(crew, c2, "reject", "SUPPORTED")
    second_decides(crew, c2, "approve")
    decided = decisions(store, run_id)
    for viewer in ("alice", "erin", ""):
        assert team.blind_view(decided, team.blind_claims(store, run_id, viewer)) is decided
    seen = team.blind_view(decided, team.blind_claims(store, run_id, "bob"))
    assert (seen[c1].state, seen[c1].reviewer, seen[c1].history) == ("unreviewed", None, [])
    assert (seen[c2].state, seen[c2].label, seen[c2].reviewer, seen[c2].history) == ("approved", "REFUTED", "bob", [])
    assert decided[c1].reviewer == "alice", "the shared decisions are not changed"


def test_my_queue_lists_open_assigned_claims_across_runs(crew):
    store, run_id = crew.store, crew.run.id
    c1, c2, c3, c4 = ids(crew)
    team.assign(store, run_id, by="erin", to="alice", second="bob", claim_ids=[c1, c2, c3])
    first_decides(crew, c1, "approve")
    first_decides(crew, c2, "needs_evidence")  # still open for alice
    second_decides(crew, c3, "approve")
    assert [(q.claim_id, q.slot, q.number) for q in team.my_queue(store, "alice")] == [(c2, "first", 2),
                                                                                       (c3, "first", 3)]
    assert [(q.claim_id, q.slot) for q in team.my_queue(store, "bob")] == [(c1, "second"), (c2, "second")]
    assert team.my_queue(store, "erin") == []
    team.unassign(store, run_id, by="erin", reviewer="bob")
    assert team.my_queue(store, "bob") == []
    with pytest.raises(VerifyError, match="bob is not assigned to this run: nothing to unassign"):
        team.unassign(store, run_id, by="erin", reviewer="bob")


def test_assigning_someone_outside_the_users_file_or_twice_on_one_claim_is_refused(crew):
    store, run_id = crew.store, crew.run.id
    with pytest.raises(VerifyError, match="mallory is not a user in the team's users file"):
        team.assign(store, run_id, by="erin", to="mallory")
    with pytest.raises(VerifyError, match="alice cannot be both the first and the blind second reviewer"):
        team.assign(store, run_id, by="erin", to="alice", second="alice")
    with pytest.raises(VerifyError, match="is not part of run"):
        team.assign(store, run_id, by="erin", to="alice", claim_ids=["nope"])
    assert store.assignment_events() == []
