"""Paired significance tests and Holm correction."""

from __future__ import annotations

import numpy as np
import pytest

from ir_harness.eval.compare import compare, holm, randomization_test


def test_holm_matches_hand_computation() -> None:
    # sorted p: 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (monotone step-down)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])


@pytest.mark.parametrize("seed", range(20))
def test_holm_gives_statsmodels_bits(seed: int) -> None:
    """Same values as statsmodels' multipletests(method="holm"), ties and p = 1 included."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    p = rng.choice([*rng.uniform(0, 1, 8), 0.0, 1.0, 0.05, 1e-300], size=n).tolist()
    expected = [float(v) for v in multipletests(p, method="holm")[1]]
    assert holm(p) == expected


def test_randomization_detects_a_consistent_gain_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, 50)
    assert randomization_test(base + 0.1, base, n=2000) < 0.01
    assert randomization_test(base, base) == 1.0
    noisy = base + rng.normal(0, 0.05, 50)
    noisy = noisy - (noisy - base).mean()  # zero mean difference
    assert randomization_test(noisy, base, n=2000) > 0.5


def test_compare_pairs_queries_and_counts_wins() -> None:
    per_query = {
        "base": {"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0.2},
        "better": {"q1": 0.9, "q2": 0.8, "q3": 0.5, "q4": 0.9},
        "other": {"q1": 0.5, "q2": 0.5, "q3": 0.5},
    }
    rows = {c.system: c for c in compare(per_query, "base", "ndcg@10", test="t-test")}
    # each pair uses the queries both were scored on: q4 counts for "better", not for "other"
    assert (rows["better"].n_queries, rows["other"].n_queries) == (4, 3)
    assert (rows["better"].wins, rows["better"].ties, rows["better"].losses) == (3, 1, 0)
    assert rows["other"].p_value == 1.0 and rows["other"].baseline_mean == pytest.approx(0.5)
    assert rows["better"].p_holm >= rows["better"].p_value


def _rec(system: str, score: float, n: int, task_n: int, trained: int = 0, limit: bool = True,
         per_query: dict[str, float] | None = None) -> object:  # fmt: skip
    from ir_harness.store.results import MetricsRecord

    return MetricsRecord(
        task="t", system=system, main_metric="ndcg@10", main_score=score,
        metrics={"ndcg@10": score}, per_query={"ndcg@10": per_query} if per_query else {},
        n_queries=n, relevance_threshold=1, average_over="qrels",
        scope={"task_queries": task_n, "evaluated_queries": n,
               "limit_queries": n if (limit and n < task_n) else None},
        trained_on_evaluated={"label": "trained on these queries", "overlap": trained,
                              "evaluated_queries": n} if trained else None,
    )  # fmt: skip


def test_best_skips_partial_and_trained_rows_and_flags_them() -> None:
    from ir_harness.eval.compare import best_row, flags

    rows = {
        "full": _rec("full", 0.50, 43, 43),
        "partial@limit8": _rec("partial", 0.90, 8, 43),
        "student": _rec("student", 0.64, 43, 43, trained=43),
    }
    assert best_row(rows, "ndcg@10") == "full"  # type: ignore[arg-type]
    assert flags(rows["partial@limit8"], 43) == {"partial": "partial: 8 of 43 queries"}  # type: ignore[arg-type]
    assert flags(rows["student"], 43) == {"trained": "trained on these queries (43 of 43)"}  # type: ignore[arg-type]
    only_partial = {"a@limit8": rows["partial@limit8"], "s": rows["student"]}
    assert best_row(only_partial, "ndcg@10") == "a@limit8"  # type: ignore[arg-type]
    assert best_row({"s": rows["student"]}, "ndcg@10") is None  # type: ignore[arg-type]


def test_best_compares_rows_that_dropped_queries_on_the_shared_ones() -> None:
    """BEIR-style intersection averaging: a run that answered 2 of 3 queries keeps its place
    among full runs, compared on the 2 queries both have, not on its own mean."""
    from ir_harness.eval.compare import best_basis

    rows = {
        "full": _rec("full", 0.6, 3, 3, per_query={"q1": 0.9, "q2": 0.8, "q3": 0.1}),
        "dropped": _rec("dropped", 0.7, 2, 3, limit=False, per_query={"q1": 0.7, "q2": 0.7}),
    }
    b = best_basis(rows, "ndcg@10")  # type: ignore[arg-type]
    assert b == {"row": "full", "mean": pytest.approx(0.85), "n_queries": 2}
    assert best_basis({"x": rows["dropped"]}, "ndcg@10")["row"] == "x"  # type: ignore[arg-type, index]
