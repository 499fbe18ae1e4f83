"""Agreement of a judge's labels with human labels: Cohen's kappa (4-point and binarised) and
Krippendorff's ordinal alpha, as the LLMJudge organisers' scorer computes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ir_harness.eval.measures import measure

if TYPE_CHECKING:
    from ir_harness.tasks.llmjudge.labels import Labels, Pair

THRESHOLDS = {"kappa_0|123": 1, "kappa_01|23": 2, "kappa_012|3": 3}
AGREEMENT_METRICS = ("cohen_kappa", *THRESHOLDS, "krippendorff_alpha")


# The statistics live in the measures registry; these names stay for the task's callers.
cohen_kappa = measure("cohen_kappa")
krippendorff_alpha_ordinal = measure("krippendorff_alpha")


def kappa_as_submitted(human: dict[Pair, int], labels: Labels) -> float:
    """4-point kappa on the grades as submitted: a grade above 3 stays its own category (not
    clipped to 3); a negative grade counts as 0 (kappa's categories start at 0), and a pair the
    judge did not label counts as 0."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j = np.array([max(labels.out_of_range.get(p, labels.grades.get(p, 0)), 0) for p in keys])
    return cohen_kappa(h, j)


def agreement(human: dict[Pair, int], judge: dict[Pair, int]) -> dict[str, float]:
    """Kappa (4-point and binarised) and ordinal alpha over the human pairs.

    A pair the judge did not label counts as grade 0 in every kappa, and as a missing label
    (left out of the pairable units) in alpha."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j_alpha = np.array([judge.get(p, -1) for p in keys])
    j = np.maximum(j_alpha, 0)
    out = {"cohen_kappa": cohen_kappa(h, j)}
    for name, t in THRESHOLDS.items():
        out[name] = cohen_kappa((h >= t).astype(int), (j >= t).astype(int), 2)
    out["krippendorff_alpha"] = krippendorff_alpha_ordinal(h, j_alpha)
    return out
