"""Paired significance tests between systems on one task, with Holm correction.

Per-query values come from the stored metrics; only queries every compared system was scored on
are paired. Tests: two-sided paired t-test (scipy) and Fisher's randomization test (sign flips
of the per-query differences, seeded). Holm's step-down correction (statsmodels) controls the
family-wise error over all comparisons made in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from harness.errors import ConfigError

TestName = Literal["randomization", "t-test"]


@dataclass
class Comparison:
    system: str
    baseline: str
    metric: str
    mean: float
    baseline_mean: float
    p_value: float
    p_holm: float
    significant: bool
    n_queries: int
    wins: int
    losses: int
    ties: int


def randomization_test(a: np.ndarray, b: np.ndarray, n: int = 10000, seed: int = 0) -> float:
    """Two-sided paired randomization p-value for mean(a - b), with the +1 correction.

    Each permutation flips the sign of every per-query difference with probability 1/2; signs
    come from random bytes unpacked to bits, so a permutation costs one bit per query.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    observed = abs(d.sum())
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    k, total, count = d.size, d.sum(), 0
    for start in range(0, n, 2000):
        m = min(2000, n - start)
        bits = np.unpackbits(rng.integers(0, 256, size=(m, (k + 7) // 8), dtype=np.uint8), axis=1)[
            :, :k
        ]
        flipped = 2.0 * (bits.astype(np.float64) @ d) - total  # sum of sign-flipped differences
        count += int((np.abs(flipped) >= observed * (1 - 1e-12)).sum())
    return (count + 1) / (n + 1)


def paired_p(a: np.ndarray, b: np.ndarray, test: TestName, seed: int = 0) -> float:
    if test == "t-test":
        from scipy.stats import ttest_rel

        if np.allclose(a, b):
            return 1.0
        return float(ttest_rel(a, b).pvalue)
    if test == "randomization":
        return randomization_test(a, b, seed=seed)
    raise ConfigError(f"unknown test {test!r}; use randomization or t-test")


def holm(pvalues: list[float]) -> list[float]:
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(pvalues, method="holm")[1]]


def compare(
    per_query: dict[str, dict[str, float]],
    baseline: str,
    metric: str,
    test: TestName = "randomization",
    alpha: float = 0.05,
    seed: int = 0,
) -> list[Comparison]:
    """Compare every system with ``baseline``. ``per_query``: system -> query -> value."""
    if baseline not in per_query:
        raise ConfigError(
            f"baseline {baseline!r} has no result; available: {', '.join(sorted(per_query))}"
        )
    qids = sorted(set.intersection(*(set(v) for v in per_query.values())))
    if not qids:
        raise ConfigError(
            "the systems share no scored queries; were they run on the same task and query limit?"
        )
    base = np.array([per_query[baseline][q] for q in qids])
    rows = []
    for name in sorted(per_query):
        if name == baseline:
            continue
        a = np.array([per_query[name][q] for q in qids])
        rows.append((name, a, paired_p(a, base, test, seed)))
    adj = holm([r[2] for r in rows])
    out = []
    for (name, a, p), ph in zip(rows, adj):
        out.append(
            Comparison(
                system=name,
                baseline=baseline,
                metric=metric,
                mean=float(a.mean()),
                baseline_mean=float(base.mean()),
                p_value=p,
                p_holm=ph,
                significant=ph < alpha,
                n_queries=len(qids),
                wins=int((a > base + 1e-12).sum()),
                losses=int((a < base - 1e-12).sum()),
                ties=int((np.abs(a - base) <= 1e-12).sum()),
            )
        )
    return out
