"""Metric names parse on their own: task specs validate them without the scoring module."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ir_harness.errors import ConfigError
from ir_harness.eval.metric_names import Metric, parse_metric


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
