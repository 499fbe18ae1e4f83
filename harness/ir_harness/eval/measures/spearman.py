"""Spearman's rank correlation (STS main score; LLMJudge system-ranking agreement)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.eval.measures import Measure

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rho with average ranks for ties (``scipy.stats.spearmanr``, as MTEB uses)."""
    from scipy.stats import spearmanr

    return float(spearmanr(x, y)[0])


MEASURE = Measure("spearman", "Spearman's rank correlation (average ranks for ties)", spearman)
