"""Model vs reviewers (issue 14): per machine model, agreement of its verdicts with the reviewers' labels,
on real runs in a real store, with figures worked out by hand."""

from __future__ import annotations

import pytest

from tests.conftest import SEED_ARTICLE, SEED_SOURCES, fake_settings, seed_script
from tests.fakes import register_fake, scripted
from tests.test_cli import runner
from tests.test_team import crew, first_decides, ids, second_decides  # noqa: F401 - crew is a fixture
from verify import team
from verify.claim_edits import set_check_worthy
from verify.cli import app
from verify.model_agreement import confusion_rows, describe, model_agreement
from verify.pipeline import Pipeline


def other_model_run(crew):  # noqa: F811
    """The seed article run again, judged by a model with another id (same labels: S, R, S, NEI)."""
    register_fake(scripted(*seed_script()), model_id="other-model")
    outcome = Pipeline(fake_settings()).run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    outcome.store = crew.store
    return outcome


@pytest.fixture
def two_models(crew):  # noqa: F811
    """fake-model (run 1): #1 S approved, #2 R approved, #3 S rejected to REFUTED, #4 NEI needs evidence.
    other-model (run 2): #1 S approved by alice, rejected blind by bob (REFUTED), the editor's final
    decision REFUTED; #2 unreviewed; #4 NEI approved."""
    c1, c2, c3, c4 = ids(crew)
    first_decides(crew, c1, "approve")
    first_decides(crew, c2, "approve")
    first_decides(crew, c3, "reject", "REFUTED")
    first_decides(crew, c4, "needs_evidence")
    other = other_model_run(crew)
    assert {v.model for v in other.verdicts.values()} == {"other-model"}
    o1, _, _, o4 = [c.id for c in other.claims]
    team.assign(crew.store, other.run.id, by="erin", to="alice", second="bob", claim_ids=[o1])
    first_decides(other, o1, "approve")
    second_decides(other, o1, "reject", "REFUTED")
    team.resolve(crew.store, run_id=other.run.id, claim_id=o1, editor="erin", label="REFUTED",
                 machine_verdict=other.verdicts[o1])
    first_decides(other, o4, "approve")
    return crew, other


def test_agreement_per_model_counts_reviewed_claims_and_the_editors_final_decision(two_models):
    fake, second = model_agreement(two_models[0].store)
    # fake-model: machine [S, R, S] vs reviewer [S, R, R]: 2 of 3 agree; p_e = 2/3*1/3 + 1/3*2/3 = 4/9,
    # kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4. #4 (needs evidence) is not counted.
    assert (fake.model, fake.n, fake.agreed, fake.runs) == ("fake-model", 3, 2, 1)
    assert fake.kappa == pytest.approx(0.4)
    assert fake.confusion == {"SUPPORTED": {"SUPPORTED": 1, "REFUTED": 1}, "REFUTED": {"REFUTED": 1}}
    # other-model: the final REFUTED counts, not alice's approval: machine [S, NEI] vs reviewer [R, NEI]:
    # 1 of 2; p_e = 1/2*1/2 (NEI) = 1/4, kappa = (1/2 - 1/4) / (3/4) = 1/3. #2 (unreviewed) is not counted.
    assert (second.model, second.n, second.agreed, second.runs) == ("other-model", 2, 1, 1)
    assert second.kappa == pytest.approx(1 / 3)
    assert describe(fake) == "agreement 67% (2 of 3 reviewed claims, 1 run(s)) · kappa 0.40"
    assert confusion_rows(second) == [
        {"machine": "SUPPORTED", "reviewer SUPPORTED": 0, "reviewer REFUTED": 1, "reviewer NOT_ENOUGH_INFO": 0},
        {"machine": "NOT_ENOUGH_INFO", "reviewer SUPPORTED": 0, "reviewer REFUTED": 0, "reviewer NOT_ENOUGH_INFO": 1}]


def test_agreement_over_chosen_runs_without_hidden_or_not_check_worthy_claims(two_models):
    run1, other = two_models
    only_other = model_agreement(run1.store, [other.run.id])
    assert [(f.model, f.n) for f in only_other] == [("other-model", 2)]
    set_check_worthy(run1.store, other.run.id, other.claims[3].id, "erin", False)  # out of reports and gold too
    assert [(f.n, f.agreed) for f in model_agreement(run1.store, [other.run.id])] == [(1, 0)]
    c3 = ids(run1)[2]
    fake = model_agreement(run1.store, [run1.run.id], hidden={(run1.run.id, c3)})[0]
    assert (fake.n, fake.agreed, fake.kappa) == (2, 2, pytest.approx(1.0))


@pytest.mark.usefixtures("two_models")
def test_the_cli_prints_agreement_per_model():
    result = runner.invoke(app, ["model-agreement"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "fake-model: agreement 67% (2 of 3 reviewed claims, 1 run(s)) · kappa 0.40" in lines
    assert "other-model: agreement 50% (1 of 2 reviewed claims, 1 run(s)) · kappa 0.33" in lines
    assert "  reviewers changed: SUPPORTED→REFUTED 1" in lines
    missing = runner.invoke(app, ["model-agreement", "nope"])
    assert missing.exit_code != 0 and "error:" in missing.output
