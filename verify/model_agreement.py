"""Model vs reviewers (issue 14, "reviewer decisions as gold"): per machine model, how often the
newsroom's reviewers agreed with its verdicts.

A claim counts once a reviewer approved or rejected its verdict: the reviewer's label (the machine's
when approved, the corrected one when rejected; an editor's final decision on a disagreement is a
review event, so it counts as the reviewer's) is set against the verdict's label. Claims unreviewed or
"needs more evidence", failed verdicts (no machine label) and claims merged away or not check-worthy
are left out, as in `verify export-gold`. The model is the verdict's own `model` id (a rejudged claim
counts for the model of its current verdict). Kappa is verify/team.py's (scikit-learn's Cohen's kappa).
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import Field

from .claim_edits import effective_claims
from .models import Strict
from .review import decisions
from .store import Store
from .team import cohen_kappa

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")


class ModelAgreement(Strict):
    """One model's verdicts against the reviewers' labels."""

    model: str
    n: int = Field(description="Claims whose verdict a reviewer approved or rejected.")
    agreed: int = Field(description="Of those, claims where the reviewer's label is the machine's.")
    kappa: float | None = Field(description="Cohen's kappa, machine vs reviewer; None when undefined.")
    runs: int = Field(description="Runs these claims come from.")
    confusion: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="machine label -> reviewer label -> claims (only pairs that occur).")

    @property
    def raw(self) -> float | None:
        return self.agreed / self.n if self.n else None


# (run_id, claim_id) of claims left out of the figure: the ones a viewer reviews blind (ui/runs_page.py).
Hidden = set[tuple[str, str]]


def labelled_pairs(store: Store, run_id: str, hidden: Hidden = frozenset()) -> list[tuple[str, str, str]]:
    """(model, machine label, reviewer label) for each reviewed claim of the run."""
    verdicts = store.get_verdicts(run_id)
    decided = decisions(store, run_id)
    out = []
    for cid, item in effective_claims(store, run_id).items():
        verdict, decision = verdicts.get(cid), decided.get(cid)
        if not item.counted or (run_id, cid) in hidden or verdict is None or verdict.label is None:
            continue
        if decision is not None and decision.state in ("approved", "rejected") and decision.label:
            out.append((verdict.model, verdict.label.value, decision.label))
    return out


def model_agreement(store: Store, run_ids: list[str] | None = None, hidden: Hidden = frozenset()
                    ) -> list[ModelAgreement]:
    """Per model (most reviewed first), over the given runs (every run when none is given)."""
    run_ids = run_ids or [run.id for run in store.list_runs()]
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    runs: dict[str, set[str]] = defaultdict(set)
    for run_id in run_ids:
        for model, machine, reviewer in labelled_pairs(store, run_id, hidden):
            pairs[model].append((machine, reviewer))
            runs[model].add(run_id)
    figures = [_figure(model, found, len(runs[model])) for model, found in pairs.items()]
    return sorted(figures, key=lambda f: (-f.n, f.model))


def _figure(model: str, found: list[tuple[str, str]], runs: int) -> ModelAgreement:
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for machine, reviewer in found:
        confusion[machine][reviewer] += 1
    return ModelAgreement(model=model, n=len(found), agreed=sum(a == b for a, b in found), runs=runs,
                          kappa=cohen_kappa([a for a, _ in found], [b for _, b in found]),
                          confusion={m: dict(r) for m, r in confusion.items()})


def describe(figure: ModelAgreement) -> str:
    """One line: "agreement 75% (3 of 4 claims, 2 runs) · kappa 0.64"."""
    kappa = f"{figure.kappa:.2f}" if figure.kappa is not None else "n/a (one label only)"
    return (f"agreement {figure.raw:.0%} ({figure.agreed} of {figure.n} reviewed claims, {figure.runs} run(s)) · "
            f"kappa {kappa}")


def confusion_rows(figure: ModelAgreement) -> list[dict]:
    """One row per machine label: how the reviewers labelled its verdicts (a table for the dashboard)."""
    return [{"machine": machine, **{f"reviewer {label}": figure.confusion.get(machine, {}).get(label, 0)
                                    for label in LABELS}}
            for machine in LABELS if machine in figure.confusion]


def disagreements_line(figure: ModelAgreement) -> str:
    """The changes reviewers made, e.g. "SUPPORTED→REFUTED 1 · NOT_ENOUGH_INFO→SUPPORTED 2"; empty when none."""
    return " · ".join(f"{m}→{r} {n}" for m in LABELS for r in LABELS
                      if m != r and (n := figure.confusion.get(m, {}).get(r, 0)))
