"""ranx's metric kernels without its package: same values, no scipy.stats or matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ir_harness.eval.ranx_kernels import _parse


def test_metric_ids_parse_like_ranx() -> None:
    assert _parse("ndcg@10") == ("ndcg", 10, 1)
    assert _parse("recall@100-l2") == ("recall", 100, 2)
    assert _parse("map") == ("map", 0, 1)


_SCRIPT = """
import json, sys
from ir_harness.eval.metrics import evaluate
from ir_harness.data.spec import TaskSpec
spec = TaskSpec(name="t", family="t", subset="", split="test", description="",
                metrics=("ndcg@10", "recall@2", "map", "mrr@10"), main_metric="ndcg@10")
run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"a": 1.0, "b": 2.0}}
qrels = {"q1": {"b": 2, "c": 1}, "q2": {"a": 1}}
ev = evaluate(run, qrels, spec)
heavy = [m for m in ("ranx", "scipy.stats", "matplotlib") if m in sys.modules]
print(json.dumps({"per_query": ev.per_query, "heavy": heavy}))
"""


def test_scoring_imports_neither_ranx_package_nor_scipy_stats() -> None:
    """A fresh process scores a run without ranx's __init__ (scipy.stats, matplotlib: ~2 s).

    It shares the session's harness cache (tests/conftest.py), so numba's compiled kernels are
    reused rather than compiled again for this one check."""
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == []
    ranx = pytest.importorskip("ranx")  # the full package agrees on the same inputs
    qrels = ranx.Qrels({"q1": {"b": 2, "c": 1}, "q2": {"a": 1}})
    run = ranx.Run({"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"a": 1.0, "b": 2.0}})
    want = ranx.evaluate(qrels, run, ["ndcg@10", "recall@2", "map", "mrr@10"], return_mean=False)
    for m, values in want.items():
        assert np.allclose([got["per_query"][m][q] for q in ("q1", "q2")], values, atol=1e-12)


def test_real_ranx_still_imports_after_the_kernels_were_used() -> None:
    from ir_harness.eval.ranx_kernels import evaluate_lists

    evaluate_lists  # noqa: B018 - imported for its side effects below
    from ir_harness.data.spec import TaskSpec
    from ir_harness.eval.metrics import evaluate

    spec = TaskSpec(
        name="t",
        family="t",
        subset="",
        split="test",
        description="",
        metrics=("ndcg@10",),
        main_metric="ndcg@10",
    )
    evaluate({"q1": {"a": 1.0}}, {"q1": {"a": 1}}, spec)
    ranx = pytest.importorskip("ranx")
    assert callable(ranx.evaluate) and callable(ranx.Run)


def test_every_ranx_metric_name_maps_to_ranx_own_kernel() -> None:
    """The table agrees with ranx's metric_switch, kernel for kernel (same source file, same
    function), so no metric is scored by a different function than ranx would use."""
    ranx_metrics = pytest.importorskip("ranx.metrics")
    from ir_harness.eval.ranx_kernels import _KERNELS, _kernel

    for name in _KERNELS:
        ours, theirs = (
            getattr(f, "py_func", f) for f in (_kernel(name), ranx_metrics.metric_switch(name))
        )
        assert ours.__code__.co_filename == theirs.__code__.co_filename
        assert ours.__name__ == theirs.__name__


def test_the_kernels_package_never_edits_sys_modules() -> None:
    """ranx_metrics is an ordinary package whose __path__ is ranx's metrics folder."""
    import ir_harness.eval.ranx_metrics as pkg

    assert [p.rsplit("/", 2)[-2:] for p in pkg.__path__] == [["ranx", "metrics"]]
    assert "sys.modules" not in open(pkg.__file__).read().split('"""')[-1]
