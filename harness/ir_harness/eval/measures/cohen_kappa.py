"""Cohen's kappa: agreement of two labellers beyond chance (LLMJudge's main measure)."""

from __future__ import annotations

import numpy as np

from ir_harness.eval.measures import Measure


def cohen_kappa(a: np.ndarray, b: np.ndarray, k: int = 2) -> float:
    """Unweighted kappa of two integer label vectors over categories 0..k-1.

    Labels above ``k - 1`` get their own categories (raw out-of-range grades stay distinct);
    empty categories change nothing. NaN when chance agreement is total.
    """
    k = max(k, int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1)
    cm = np.zeros((k, k))
    np.add.at(cm, (a, b), 1)
    n = cm.sum()
    po = np.trace(cm) / n
    pe = float(cm.sum(axis=1) @ cm.sum(axis=0)) / n**2
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


MEASURE = Measure("cohen_kappa", "Cohen's kappa (unweighted) of two label vectors", cohen_kappa)
