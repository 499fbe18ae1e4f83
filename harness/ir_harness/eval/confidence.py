"""How sure a leaderboard can be: the best system's tier, the task's detectable effect, intervals.

A ranking by mean says nothing about which differences the queries can resolve. Three numbers
say it: the *tier* (rows the paired test of ``ir_harness.eval.compare``, Holm-corrected, cannot
separate from the best), the *minimum detectable effect* of a paired test on this many queries,
and a seeded percentile bootstrap interval of each mean over resampled queries.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.eval.compare import TestName, compare

if TYPE_CHECKING:
    from collections.abc import Iterable

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
_CHUNK = 200  # resamples drawn at once: bounds memory at _CHUNK x queries floats


def tier(
    per_query: dict[str, dict[str, float]],
    best: str,
    test: TestName = "randomization",
    alpha: float = 0.05,
    seed: int = 0,
) -> list[str]:
    """The best row and every row the paired test cannot separate from it, best first.

    Each row is tested against ``best`` on the queries the two share, exactly as ``harness
    compare`` does, with Holm's correction over all those comparisons.
    """
    comps = compare(per_query, best, "", test=test, alpha=alpha, seed=seed)
    return [best, *sorted(c.system for c in comps if not c.significant)]


def minimum_detectable_effect(
    per_query: dict[str, dict[str, float]],
    best: str,
    rows: Iterable[str] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, float | int] | None:
    """Smallest mean difference a two-sided paired test at ``alpha`` finds with ``power``.

    MDE = (z_{1-alpha/2} + z_{power}) * sd / sqrt(n), normal approximation, where ``sd`` is the
    pooled standard deviation of the per-query differences against ``best``: every other row
    (of ``rows``, default all) contributes its differences on the queries it shares with the
    best, the variances (ddof 1) pooled with weights n_i - 1. ``n`` is the number of queries the
    best row was scored on. None when no row shares two or more queries with the best.
    """
    base = per_query[best]
    num, den = 0.0, 0
    for name in sorted(per_query if rows is None else rows):
        if name == best or name not in per_query:
            continue
        qids = sorted(set(per_query[name]) & set(base))
        d = np.array([per_query[name][q] - base[q] for q in qids], dtype=np.float64)
        d = d[np.isfinite(d)]
        if d.size < 2:
            continue
        num += float(((d - d.mean()) ** 2).sum())
        den += d.size - 1
    if den == 0:
        return None
    sd = math.sqrt(num / den)
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    n = len(base)
    return {"mde": z * sd / math.sqrt(n), "sd": sd, "n_queries": n, "alpha": alpha, "power": power}


def bootstrap_interval(
    values: Iterable[float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean, resampling queries with replacement.

    Seeded, so the same values give the same bits on every build; non-finite values are left
    out. None for fewer than two finite values.
    """
    v = np.array([x for x in values if math.isfinite(x)], dtype=np.float64)
    if v.size < 2:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, _CHUNK):
        m = min(_CHUNK, resamples - start)
        means[start : start + m] = v[rng.integers(0, v.size, size=(m, v.size))].mean(axis=1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)
