"""Kendall's tau-b: agreement of two orderings (LLMJudge: systems ranked under two qrels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.eval.measures import Measure

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


def kendall_tau(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Kendall's tau-b (ties corrected), as ``scipy.stats.kendalltau`` computes it."""
    from scipy.stats import kendalltau

    return float(kendalltau(x, y).statistic)


MEASURE = Measure("kendall_tau", "Kendall's tau-b rank correlation", kendall_tau)
