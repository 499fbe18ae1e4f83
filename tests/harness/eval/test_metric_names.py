"""Metric names parse on their own: task specs validate them without the scoring module."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ir_harness.errors import ConfigError
from ir_harness.eval.metric_names import Metric, parse_measures, parse_metric


def test_parse_metric_aliases_and_ranx_ids() -> None:
    assert parse_metric("nDCG@10") == Metric("ndcg", 10)
    assert parse_metric("AP").id == "map"
    assert parse_metric("P@5").ranx_id(2) == "precision@5-l2"
    assert parse_metric("ndcg@10").ranx_id(2) == "ndcg@10"


def test_unknown_metric_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown metric 'foo@3'; known: .*ndcg"):
        parse_metric("foo@3")


def test_task_spec_validation_does_not_import_the_scoring_module() -> None:
    code = (
        "import sys; from ir_harness.data.spec import TaskSpec;"
        "TaskSpec(name='t', family='t', metrics=('ndcg@10',), main_metric='ndcg@10');"
        "print('ir_harness.eval.metrics' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    ("spelled", "ids"),
    [
        ("map", ["map"]),
        ("P.5", ["precision@5"]),
        ("P_5", ["precision@5"]),
        ("ndcg_cut.10", ["ndcg@10"]),
        ("ndcg_cut_10", ["ndcg@10"]),
        ("ndcg_cut.10,20", ["ndcg@10", "ndcg@20"]),
        ("recall.100", ["recall@100"]),
        ("Rprec", ["r_precision"]),
        ("bpref", ["bpref"]),
        ("recip_rank", ["mrr"]),
        ("set_F", ["f1"]),
        ("success.5", ["hit_rate@5"]),
        ("success", ["hit_rate@1", "hit_rate@5", "hit_rate@10"]),
        ("map_cut.100", ["map@100"]),
        ("nDCG@10", ["ndcg@10"]),
        ("P@5", ["precision@5"]),
        ("AP", ["map"]),
        ("R@100", ["recall@100"]),
        ("RR", ["mrr"]),
        ("Judged@10", ["judged@10"]),
        ("RBP", ["rbp(p=0.8)"]),
        ("RBP(p=0.5)", ["rbp(p=0.5)"]),
        ("ERR@20", ["err@20"]),
        ("AP(rel=2)", ["map(rel=2)"]),
        ("nDCG@10(judged_only)", ["ndcg@10(judged_only)"]),
        ("nDCG(judged_only=True)@10", ["ndcg@10(judged_only)"]),
        ("nDCG'@10", ["ndcg@10(judged_only)"]),
    ],
)
def test_trec_eval_and_ir_measures_names_parse_to_one_value(spelled: str, ids: list[str]) -> None:
    parsed = parse_measures(spelled)
    assert [m.id for m in parsed] == ids
    assert [parse_metric(i) for i in ids] == parsed  # the canonical id parses back to itself


def test_parameters_reach_the_value() -> None:
    m = parse_metric("AP(rel=2)")
    assert m.level(1) == 2 and m.ranx_id(1) == "map-l2"
    assert parse_metric("AP").level(3) == 3  # the task's threshold when not given
    assert parse_metric("RBP(p=0.5)").persistence == 0.5
    assert parse_metric("nDCG'@5").judged_only


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("P@0", "cut-off must be at least 1"),
        ("Rprec@5", "takes no cut-off"),
        ("AP(p=0.3)", "p= applies to RBP only"),
        ("RBP(p=2)", "strictly between 0 and 1"),
        ("nDCG(rel=2)@10", "rel= applies to binary measures"),
        ("AP(rel=x)", "not an integer >= 1"),
        ("AP(gain=2)", "unknown parameter 'gain'"),
        ("P(judged_only)@5", "judged_only applies to nDCG only"),
        ("nDCG@", "not of the form"),
    ],
)
def test_bad_measures_name_the_problem_and_what_is_accepted(bad: str, why: str) -> None:
    with pytest.raises(ConfigError, match=rf"measure {re.escape(repr(bad))}: .*{why}.*accepted: "):
        parse_measures(bad)
