"""Metric conventions: golden values from inline TREC text, and agreement with trec_eval."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.model import TaskData
from ir_harness.data.spec import TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.eval.metric_names import parse_metric
from ir_harness.eval.metrics import evaluate, prepare_run

if TYPE_CHECKING:
    from pathlib import Path


def spec(**kw: object) -> TaskSpec:
    base: dict[str, object] = {
        "name": "t",
        "family": "t",
        "metrics": ("ndcg@10", "map", "recall@2", "mrr"),
        "main_metric": "ndcg@10",
    }
    base.update(kw)
    return TaskSpec(**base)  # type: ignore[arg-type]


QRELS = {"q1": {"a": 3, "b": 1, "c": 0}, "q2": {"x": 2}}


def test_golden_values_linear_gain_ndcg() -> None:
    run = {"q1": {"b": 3.0, "a": 2.0, "z": 1.0}, "q2": {"y": 2.0, "x": 1.0}}
    ev = evaluate(run, QRELS, spec())
    # q1: DCG = 1/log2(2) + 3/log2(3); IDCG = 3 + 1/log2(3)
    dcg = 1 + 3 / math.log2(3)
    idcg = 3 + 1 / math.log2(3)
    assert ev.per_query["ndcg@10"]["q1"] == pytest.approx(dcg / idcg)
    assert ev.per_query["ndcg@10"]["q2"] == pytest.approx(1 / math.log2(3))
    assert ev.per_query["mrr"]["q1"] == pytest.approx(1.0)
    assert ev.per_query["mrr"]["q2"] == pytest.approx(0.5)
    assert ev.means["ndcg@10"] == pytest.approx((dcg / idcg + 1 / math.log2(3)) / 2)


def test_relevance_threshold_applies_to_binary_metrics_only() -> None:
    run = {"q1": {"b": 3.0, "a": 2.0}, "q2": {"x": 1.0}}
    ev1 = evaluate(run, QRELS, spec(relevance_threshold=1))
    ev2 = evaluate(run, QRELS, spec(relevance_threshold=2))
    assert ev1.per_query["map"]["q1"] == pytest.approx(
        1.0
    )  # a and b relevant, both retrieved at 1, 2
    assert ev2.per_query["map"]["q1"] == pytest.approx(
        0.5
    )  # only a (grade 3) counts, found at rank 2
    assert ev1.per_query["ndcg@10"] == ev2.per_query["ndcg@10"]


def test_unanswered_query_scores_zero_or_is_dropped() -> None:
    run = {"q1": {"a": 1.0}}
    ev = evaluate(run, QRELS, spec(average_over="qrels"))
    assert ev.query_ids == ["q1", "q2"]
    assert ev.per_query["ndcg@10"]["q2"] == 0.0
    ev_i = evaluate(run, QRELS, spec(average_over="intersection"))
    assert ev_i.query_ids == ["q1"]
    assert ev_i.means["ndcg@10"] > ev.means["ndcg@10"]


def test_unjudged_run_queries_never_count() -> None:
    ev = evaluate({"q1": {"a": 1.0}, "q9": {"a": 1.0}}, QRELS, spec())
    assert "q9" not in ev.query_ids


def test_excluded_ids_removed_before_truncation() -> None:
    qrels = {"q": {"good": 1}}
    run = {"q": {"bad1": 3.0, "bad2": 2.5, "good": 2.0}}
    s = spec(run_depth=1, metrics=("recall@1",), main_metric="recall@1")
    assert evaluate(run, qrels, s).means["recall@1"] == 0.0
    data = TaskData(corpus=None, queries={}, qrels=qrels, excluded_ids={"q": {"bad1", "bad2"}})  # type: ignore[arg-type]
    assert evaluate(run, qrels, s, data).means["recall@1"] == 1.0


def test_identical_ids_dropped_only_when_flagged() -> None:
    qrels = {"q": {"d": 1}}
    run = {"q": {"q": 9.0, "d": 1.0}}
    s = spec(metrics=("recall@1",), main_metric="recall@1")
    assert evaluate(run, qrels, s).means["recall@1"] == 0.0
    assert (
        evaluate(
            run,
            qrels,
            spec(metrics=("recall@1",), main_metric="recall@1", ignore_identical_ids=True),
        ).means["recall@1"]
        == 1.0
    )


def test_ties_broken_by_doc_id_descending_in_float32() -> None:
    # 1.0 and 1.0 + 1e-9 are equal in single precision: trec_eval sees a tie, broken by doc id desc.
    prepared = prepare_run({"q": {"a": 1.0 + 1e-9, "b": 1.0, "c": 0.5}}, depth=10)
    assert list(prepared["q"]) == ["b", "a", "c"]


def test_evaluate_does_not_mutate_the_run() -> None:
    run = {"q1": {"q1": 5.0, "a": 1.0}}
    before = {k: dict(v) for k, v in run.items()}
    evaluate(run, QRELS, spec(ignore_identical_ids=True))
    assert run == before


def test_metric_parsing() -> None:
    assert parse_metric("nDCG@10").id == "ndcg@10"
    assert parse_metric("P@5").name == "precision"
    with pytest.raises(ConfigError, match="unknown metric"):
        parse_metric("bleu@4")
    with pytest.raises(ValueError, match="main_metric"):
        spec(main_metric="recall@1000")


# ---------------------------------------------------------------- agreement with trec_eval


def _trec_eval(
    qrels: dict, run: dict, measures: set[str], level: int
) -> dict[str, dict[str, float]]:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    return pytrec_eval.RelevanceEvaluator(qrels, measures, relevance_level=level).evaluate(run)


def _assert_matches_trec_eval(run: dict, qrels: dict, threshold: int) -> None:
    s = spec(
        metrics=("ndcg@10", "map", "recall@100", "recall@1000", "precision@10", "mrr"),
        relevance_threshold=threshold,
        run_depth=1000,
    )
    ours = evaluate(run, qrels, s)
    graded = _trec_eval(qrels, run, {"ndcg_cut_10"}, 1)
    binary = _trec_eval(
        qrels, run, {"map", "recall_100", "recall_1000", "P_10", "recip_rank"}, threshold
    )
    pairs = {
        "ndcg@10": (graded, "ndcg_cut_10"),
        "map": (binary, "map"),
        "recall@100": (binary, "recall_100"),
        "recall@1000": (binary, "recall_1000"),
        "precision@10": (binary, "P_10"),
        "mrr": (binary, "recip_rank"),
    }
    for metric, (table, name) in pairs.items():
        for q in ours.query_ids:
            expected = (
                table[q][name] if q in table else 0.0
            )  # -c: unanswered judged queries score 0
            assert ours.per_query[metric][q] == pytest.approx(expected, abs=1e-6), (metric, q)


def test_matches_trec_eval_with_heavy_ties() -> None:
    rng = random.Random(7)
    qrels = {
        f"q{i}": {f"d{j}": rng.choice([0, 0, 1, 2, 3]) for j in rng.sample(range(60), 25)}
        for i in range(20)
    }
    run = {
        f"q{i}": {
            f"d{j}": float(rng.choice([0.1, 0.2, 0.3, 0.30000001]))
            for j in rng.sample(range(60), 40)
        }
        for i in range(19)
    }
    _assert_matches_trec_eval(run, qrels, threshold=2)
    _assert_matches_trec_eval(run, qrels, threshold=1)


@pytest.mark.shared_data
@pytest.mark.parametrize("year", ["2019", "2020"])
@pytest.mark.parametrize("kind", ["bm25", "contriever"])
def test_matches_trec_eval_on_shared_runs(shared_data: Path, year: str, kind: str) -> None:
    from ir_harness.data.formats import read_trec_qrels
    from ir_harness.tasks.trec_dl import read_rankgpt_candidates

    short = "dl19" if year == "2019" else "dl20"
    name = (
        f"bm25_{short}_top100.jsonl.gz" if kind == "bm25" else f"{short}_top100_contriever.jsonl.gz"
    )
    run, _, _ = read_rankgpt_candidates(shared_data / "trec-dl" / name)
    qrels = read_trec_qrels(shared_data / "trec-dl" / f"qrels.{short}-passage.txt")
    _assert_matches_trec_eval(run, qrels, threshold=2)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("year", "short", "expected", "n"), [("2019", "dl19", 0.5058, 43), ("2020", "dl20", 0.4796, 54)]
)
def test_published_pyserini_bm25_ndcg(
    shared_data: Path, tmp_path: Path, year: str, short: str, expected: float, n: int
) -> None:
    """`harness eval` of the shared BM25 lists reproduces Pyserini's 2CR nDCG@10 to four decimals."""
    import json

    from typer.testing import CliRunner

    from ir_harness.cli import app

    rf = tmp_path / "bm25.trec"
    conv = CliRunner().invoke(
        app,
        [
            "convert-candidates",
            str(shared_data / "trec-dl" / f"bm25_{short}_top100.jsonl.gz"),
            str(rf),
        ],
    )
    assert conv.exit_code == 0, conv.output
    res = CliRunner().invoke(
        app,
        ["eval", str(rf), "--task", f"trec-dl/{year}", "--data-dir", str(shared_data), "--json"],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert round(out["metrics"]["ndcg@10"], 4) == expected
    assert out["n_queries"] == n


def test_one_metric_alone() -> None:
    """ranx's evaluate breaks on a single metric with per-query output; we get its values."""
    ev = evaluate(
        {"q1": {"a": 2.0, "b": 1.0}}, QRELS, spec(metrics=("recall@1",), main_metric="recall@1")
    )
    assert ev.per_query == {"recall@1": {"q1": 0.5, "q2": 0.0}}


def _deep_run_and_qrels() -> tuple[dict, dict]:
    """20 queries x 1,500 documents, judged documents spread over all ranks (some past 1,000),
    three-decimal scores so ties are frequent."""
    rng = random.Random(11)
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for i in range(20):
        docs = rng.sample(range(3000), 1500)
        run[f"q{i}"] = {f"d{j}": round(rng.random() * 10, 3) for j in docs}
        judged = rng.sample(docs, 12) + rng.sample(range(3000, 3100), 2)  # 2 never retrieved
        qrels[f"q{i}"] = {f"d{j}": rng.choice([0, 1, 2, 3]) for j in judged}
    return run, qrels


def test_every_document_of_a_1500_deep_run_counts_like_trec_eval(tmp_path: Path) -> None:
    """``depth=None`` (what ``harness eval`` uses for a run file) scores all 1,500 documents per
    query and agrees with pytrec_eval per query, read from a TREC file as the CLI reads it; the
    task's depth of 1,000 gives other values for the uncut metrics."""
    from ir_harness.data.formats import format_trec_run, read_trec_run_table

    run, qrels = _deep_run_and_qrels()
    rf = tmp_path / "deep.trec"
    rf.write_text(format_trec_run(run, "t"))
    s = spec(
        metrics=("ndcg", "map", "recall@1500", "recall@1000", "ndcg@10", "mrr"),
        relevance_threshold=1,
        run_depth=1000,
    )
    ours = evaluate(read_trec_run_table(rf), qrels, s, depth=None)
    theirs = _trec_eval(
        qrels, run, {"ndcg", "map", "recall.1000,1500", "ndcg_cut_10", "recip_rank"}, 1
    )
    pairs = {
        "ndcg": "ndcg",
        "map": "map",
        "recall@1500": "recall_1500",
        "recall@1000": "recall_1000",
        "ndcg@10": "ndcg_cut_10",
        "mrr": "recip_rank",
    }
    assert ours.query_ids == sorted(qrels)
    for metric, name in pairs.items():
        for q in ours.query_ids:
            assert ours.per_query[metric][q] == pytest.approx(theirs[q][name], abs=1e-6), (
                metric,
                q,
            )
    cut = evaluate(read_trec_run_table(rf), qrels, s)  # the task's depth: 1,000
    assert cut.means["map"] < ours.means["map"]
    assert cut.means["recall@1500"] < ours.means["recall@1500"]
    assert evaluate(read_trec_run_table(rf), qrels, s, depth=1000).per_query == cut.per_query
