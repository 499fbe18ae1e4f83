"""The numpy metrics (harness/ir_harness/eval/rank_metrics.py) against ranx's kernels, bit for bit."""

from __future__ import annotations

import random

import pytest

from ir_harness.data.spec import TaskSpec
from ir_harness.eval import rank_metrics
from ir_harness.eval.metrics import evaluate

METRICS = (
    "ndcg",
    "ndcg@10",
    "ndcg@3",
    "ndcg@5000",
    "dcg@5",
    "map",
    "map@100",
    "recall@100",
    "recall@5",
    "precision@10",
    "precision@500",
    "precision",
    "mrr",
    "mrr@10",
    "hits@10",
    "hit_rate@5",
)


def _data(seed: int) -> tuple[dict, dict]:
    """Queries of uneven length (1-400 rows), heavy score ties, grades -1..3 (some queries
    with none relevant at the threshold), judged documents retrieved or not."""
    rng = random.Random(seed)
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for i in range(60):
        n = rng.choice([1, 2, 7, 50, 400])
        docs = rng.sample(range(800), n)
        run[f"q{i}"] = {f"d{j}": float(rng.choice([0.5, 0.25, 1.0, rng.random()])) for j in docs}
        judged = rng.sample(docs, min(n, rng.randint(0, 30))) + rng.sample(range(800, 900), 3)
        qrels[f"q{i}"] = {f"d{j}": rng.choice([-1, 0, 0, 1, 2, 3]) for j in judged}
    return run, qrels


@pytest.mark.parametrize(("seed", "threshold"), [(1, 1), (2, 2), (3, 3)])
def test_numpy_metrics_equal_ranx_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, seed: int, threshold: int
) -> None:
    run, qrels = _data(seed)
    spec = TaskSpec(
        name="t",
        family="t",
        metrics=METRICS,
        main_metric="ndcg@10",
        relevance_threshold=threshold,
        run_depth=1000,
    )
    ours = evaluate(run, qrels, spec, depth=None)
    monkeypatch.setattr(rank_metrics, "SUPPORTED", set())  # every metric through ranx
    theirs = evaluate(run, qrels, spec, depth=None)
    assert ours.query_ids == theirs.query_ids
    for m in METRICS:
        assert ours.per_query[m] == theirs.per_query[m], m  # exact equality, not approx
    assert any(v > 0 for v in ours.per_query["map"].values())


def test_r_precision_matches_trec_eval() -> None:
    """R-precision (ranx computes it under another name) against trec_eval's Rprec."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    run, qrels = _data(4)
    spec = TaskSpec(
        name="t", family="t", metrics=("r_precision",), main_metric="r_precision", run_depth=1000
    )
    ours = evaluate(run, qrels, spec, depth=None)
    theirs = pytrec_eval.RelevanceEvaluator(qrels, {"Rprec"}).evaluate(run)
    for q in ours.query_ids:
        assert ours.per_query["r_precision"][q] == pytest.approx(theirs[q]["Rprec"], abs=1e-9)
