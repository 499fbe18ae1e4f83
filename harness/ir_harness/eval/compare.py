"""Paired significance tests between systems on one task, with Holm correction.

Per-query values come from the stored metrics; each comparison pairs only the queries both of its
systems were scored on (and reports how many), so a partial run is compared on its own queries.
"Best" is chosen only among results that are neither partial nor scored on their own training
queries (``best_row``). Tests: two-sided paired t-test (scipy) and Fisher's randomization test (sign flips
of the per-query differences, seeded). Holm's step-down correction controls the
family-wise error over all comparisons made in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ir_harness.errors import ConfigError
from ir_harness.store.training_record import TRAINED_LABEL

if TYPE_CHECKING:
    from ir_harness.store.results import MetricsRecord

TestName = Literal["randomization", "t-test"]


@dataclass
class Comparison:
    """One system against a baseline on one metric over their shared queries: p, Holm's p, wins."""

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
    """Two-sided paired p-value: scipy's t-test (1.0 for equal values) or the randomization test."""
    if test == "t-test":
        from scipy.stats import ttest_rel

        if np.allclose(a, b):
            return 1.0
        return float(ttest_rel(a, b).pvalue)
    if test == "randomization":
        return randomization_test(a, b, seed=seed)
    raise ConfigError(f"unknown test {test!r}; use randomization or t-test")


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    The arithmetic of statsmodels' ``multipletests(method="holm")`` (sorted p times m, m-1, ...,
    running maximum, capped at 1), so the values are the same bits; computed here because that
    function runs a full garbage collection per call, which made the site build's hundreds of
    comparisons take a minute."""
    if not pvalues:
        return []
    p = np.asarray(pvalues, dtype=np.float64)
    order = np.argsort(p)
    adjusted = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted[adjusted > 1] = 1
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return [float(v) for v in out]


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


def best_basis(
    rows: dict[str, MetricsRecord], metric: str, exclude: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """The best row on ``metric`` and the queries it was judged on.

    ``exclude``: rows that never compete (simulated systems, e.g. oracle-LLM runs).

    Candidates are held-out rows (never one scored on its own training queries) that are not a
    ``--limit-queries`` subset; when every held-out row is such a subset, the ones with the most
    queries compete. Candidates are ranked by their mean over the queries all of them share (a
    row that dropped queries, e.g. BEIR's intersection averaging, is compared on those it has),
    or by their stored means when no per-query values are kept. Returns ``{"row", "mean",
    "n_queries"}`` (``n_queries`` None for stored means), or None when no row qualifies.
    """

    def value(r: MetricsRecord) -> float | None:
        v = r.metrics.get(metric)
        return float(v) if isinstance(v, float | int) and math.isfinite(v) else None

    held = {
        k: r
        for k, r in rows.items()
        if k not in exclude and not r.trained_on_evaluated and value(r) is not None
    }
    if not held:
        return None
    cands = {k: r for k, r in held.items() if not r.scope.get("limit_queries")}
    if not cands:
        most = max(r.n_queries for r in held.values())
        cands = {k: r for k, r in held.items() if r.n_queries == most}
    pq = {k: r.per_query.get(metric) or {} for k, r in cands.items()}
    shared = set.intersection(*(set(v) for v in pq.values())) if all(pq.values()) else set()
    if shared:
        means = {k: float(np.mean([pq[k][q] for q in sorted(shared)])) for k in cands}
    else:
        means = {k: value(r) for k, r in cands.items()}  # type: ignore[misc]
    best = sorted(means, key=lambda k: (-means[k], k))[0]
    return {"row": best, "mean": means[best], "n_queries": len(shared) if shared else None}


def best_row(
    rows: dict[str, MetricsRecord], metric: str, exclude: frozenset[str] = frozenset()
) -> str | None:
    """The name of the best row (see ``best_basis``)."""
    b = best_basis(rows, metric, exclude)
    return b["row"] if b else None
