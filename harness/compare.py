"""Paired significance tests between systems on one task, with Holm correction.

Per-query values come from the stored metrics; each comparison pairs only the queries both of its
systems were scored on (and reports how many), so a partial run is compared on its own queries.
"Best" is chosen only among results that are neither partial nor scored on their own training
queries (``best_row``). Tests: two-sided paired t-test (scipy) and Fisher's randomization test (sign flips
of the per-query differences, seeded). Holm's step-down correction (statsmodels) controls the
family-wise error over all comparisons made in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from harness.errors import ConfigError
from harness.trainrec import TRAINED_LABEL

if TYPE_CHECKING:
    from harness.store import MetricsRecord

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
    """Compare every system with ``baseline`` on the queries the two share.

    ``per_query``: system -> query -> value. A system sharing no query with the baseline is left
    out (an error when that leaves nothing to compare).
    """
    if baseline not in per_query:
        raise ConfigError(
            f"baseline {baseline!r} has no result; available: {', '.join(sorted(per_query))}"
        )
    rows = []
    for name in sorted(per_query):
        if name == baseline:
            continue
        qids = sorted(set(per_query[name]) & set(per_query[baseline]))
        if not qids:
            continue
        a = np.array([per_query[name][q] for q in qids])
        base = np.array([per_query[baseline][q] for q in qids])
        rows.append((name, a, base, paired_p(a, base, test, seed)))
    if not rows and len(per_query) > 1:
        raise ConfigError(
            f"no system shares a scored query with {baseline!r}; "
            "were they run on the same task and query limit?"
        )
    adj = holm([r[3] for r in rows])
    out = []
    for (name, a, base, p), ph in zip(rows, adj):
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
                n_queries=len(a),
                wins=int((a > base + 1e-12).sum()),
                losses=int((a < base - 1e-12).sum()),
                ties=int((np.abs(a - base) <= 1e-12).sum()),
            )
        )
    return out


def task_query_count(records: list[MetricsRecord]) -> int:
    """Queries of the task: the most any result evaluated or recorded as the task's."""
    return max((r.scope.get("task_queries") or r.n_queries for r in records), default=0)


def flags(rec: MetricsRecord, task_queries: int) -> dict[str, Any]:
    """What a reader must know before comparing this row: partial run, trained on its queries."""
    out: dict[str, Any] = {}
    if rec.n_queries < task_queries:
        out["partial"] = f"partial: {rec.n_queries} of {task_queries} queries"
    t = rec.trained_on_evaluated
    if t:
        out["trained"] = f"{TRAINED_LABEL} ({t['overlap']} of {t['evaluated_queries']})"
    return out


def best_row(rows: dict[str, MetricsRecord], metric: str) -> str | None:
    """The best row on ``metric`` among full, held-out results.

    Rows scored on their own training queries never count. Partial rows count only when no
    untrained row covers all the task's queries (then the rows with the most queries compete).
    """
    n_task = task_query_count(list(rows.values()))
    held_out = {k: r for k, r in rows.items() if not r.trained_on_evaluated}
    scored = {
        k: r.metrics[metric]
        for k, r in held_out.items()
        if isinstance(r.metrics.get(metric), float | int) and math.isfinite(r.metrics[metric])
    }
    if not scored:
        return None
    most = max(held_out[k].n_queries for k in scored)
    pool = [k for k in scored if held_out[k].n_queries >= min(most, n_task)]
    return sorted(pool, key=lambda k: (-scored[k], k))[0]
