"""Comparing results of one task: the baseline, the metric and the flags, chosen once.

``harness compare`` and the API's ``ir_harness.compare`` both call :func:`compare_results`,
so the same results give the same baseline, tests and flags through either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.eval.compare import Comparison, TestName, best_row, compare, flags, task_query_count

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ir_harness.store.results import Result


@dataclass(frozen=True)
class ResultComparison:
    """The paired tests of every result against ``baseline`` on ``metric`` (Holm-corrected),
    with each row's flags (partial, trained on evaluated queries) and the task's query count."""

    metric: str
    baseline: str
    test: str
    alpha: float
    comparisons: list[Comparison]
    flags: dict[str, dict[str, Any]]
    task_queries: int


def compare_results(
    results: Sequence[Result],
    baseline: str | None = None,
    metric: str | None = None,
    test: TestName = "randomization",
    alpha: float = 0.05,
) -> ResultComparison:
    """Every result against ``baseline`` (a row name: the system label with its scope suffix;
    default the best full, held-out, non-oracle row) on ``metric`` (default: the main metric).
    All results must be of one task; at least two are needed."""
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha {alpha}: expected a significance level between 0 and 1")
    if test not in ("randomization", "t-test"):
        raise ConfigError(f"test {test!r}: expected 'randomization' or 't-test'")
    tasks = sorted({r.task for r in results})
    if len(tasks) > 1:
        raise ConfigError(f"compare: results of several tasks ({', '.join(tasks)}); give one's")
    recs = {r.id.row: r.record for r in results}
    if len(recs) < 2:
        where = f" for task {tasks[0]!r}" if tasks else ""
        raise ConfigError(f"compare needs at least two results{where}; found {len(recs)}")
    # oracle (simulated LLM) runs are never the default baseline
    simulated = frozenset(
        r.id.row for r in results if any(st.kind == "oracle" for st in r.metadata.stages)
    )
    metric = metric or next(iter(recs.values())).main_metric
    missing = [k for k, m in recs.items() if metric not in m.per_query]
    if missing:
        raise ConfigError(f"metric {metric!r} is not stored for {', '.join(missing)}")
    per_query = {k: m.per_query[metric] for k, m in recs.items()}
    base = baseline or best_row(recs, metric, simulated)
    if base is None:
        raise ConfigError(
            f"no row of {tasks[0]!r} can be the default baseline (all were scored on their own "
            "training queries); name one with baseline"
        )
    n_task = task_query_count(list(recs.values()))
    notes = {k: flags(m, n_task) for k, m in recs.items()}
    comps = compare(per_query, base, metric, test=test, alpha=alpha)
    return ResultComparison(metric, base, test, alpha, comps, notes, n_task)
