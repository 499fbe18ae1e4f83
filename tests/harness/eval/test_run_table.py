"""The columnar run: trec_eval order and truncation as arrays, and the columnar TREC reader."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.formats import read_trec_run, read_trec_run_table
from ir_harness.errors import DataFormatError
from ir_harness.eval.run_table import RunTable, trec_order

if TYPE_CHECKING:
    from pathlib import Path


def test_prepared_orders_by_float32_score_then_doc_id_desc_and_truncates() -> None:
    run = {"q": {"a": 1.0, "b": 1.00000001, "c": 2.0, "d": -0.0, "e": 0.0, "f": float("nan")}}
    out = RunTable.from_dict(run).prepared(depth=4).to_dict()
    # 1.0 and 1.00000001 are equal in float32: doc id desc breaks the tie; -0.0 == 0.0 too
    assert list(out["q"]) == ["c", "b", "a", "e"]
    assert out["q"]["b"] == 1.0  # the float32 value


def test_prepared_drops_quirks_before_truncation_and_keeps_query_order() -> None:
    run = {"z": {"z": 9.0, "x": 1.0, "y": 2.0}, "a": {"x": 5.0, "y": 4.0}}
    out = (
        RunTable.from_dict(run)
        .prepared(depth=1, excluded_ids={"a": {"x"}}, ignore_identical_ids=True)
        .to_dict()
    )
    assert out == {"z": {"y": 2.0}, "a": {"y": 4.0}}
    assert list(out) == ["z", "a"]


def test_single_key_and_lexsort_orders_agree() -> None:
    rng = np.random.default_rng(3)
    q = rng.integers(0, 7, 500)
    s = rng.choice(np.array([0.5, -0.0, 0.0, 1.5, -2.0], dtype=np.float32), 500)
    rank = rng.permutation(500)
    fast = trec_order(q, s, rank, 500)
    slow = trec_order(q, s, rank, 2**40)  # too many documents for one int64 key
    assert (fast == slow).all()


def test_first_duplicate_names_the_repeated_row() -> None:
    t = RunTable.from_dict({"q": {"a": 1.0, "b": 2.0}})
    assert t.first_duplicate() is None
    dup = RunTable(t.qids, t.dids, np.array([0, 0, 0]), np.array([1, 0, 1]), np.ones(3))
    assert dup.first_duplicate() == 2


@pytest.mark.parametrize(
    "text",
    [
        "q1 Q0 d1 1 2.5 t\nq1 Q0 d%202 2 1 t\n\nq2 Q0 d1 1 -1e-3 t\n",  # fast path
        "q1\tQ0\td1\t1\t2.5\tt\nq1\tQ0\td%202\t2\t1\tt\nq2\tQ0\td1\t1\t-1e-3\tt\n",  # tabs
        "q1 Q0  d1 1 2.5 t\nq1\tQ0 d%202 2 1.0e1 t\nq2 Q0 d1 1 -1e-3 t  \n",  # line-by-line
        'q1 Q0 d1 1 2.5 t\r\nq1 Q0 d%202 2 1 "t\r\nq2 Q0 d1 1 -0.001 t\r\n',  # CRLF, a quote
    ],
)
def test_columnar_reader_agrees_with_the_line_reader(tmp_path: Path, text: str) -> None:
    p = tmp_path / "run.txt"
    p.write_text(text, encoding="utf-8")
    expected_d2 = 10.0 if "1.0e1" in text else 1.0
    assert read_trec_run(p) == {"q1": {"d1": 2.5, "d%202": expected_d2}, "q2": {"d1": -0.001}}
    table = read_trec_run_table(p)
    assert sorted(table.dids.tolist()) == ["d%202", "d1"]
    assert len(table) == 3


def test_columnar_reader_falls_back_for_errors(tmp_path: Path) -> None:
    p = tmp_path / "run.txt"
    p.write_text("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 1.5 t\nq1 Q0 d3 3 2 t extra\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as e:
        read_trec_run_table(p)
    assert (e.value.line, "7 fields" in str(e.value)) == (3, True)


def test_columnar_reader_rejects_infinite_scores_like_the_line_reader(tmp_path: Path) -> None:
    """pyarrow parses "inf"; the fast path must not accept what the line reader refuses."""
    p = tmp_path / "run.txt"
    p.write_text("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 -inf t\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as e:
        read_trec_run_table(p)
    assert (e.value.line, "infinite" in str(e.value)) == (2, True)


def test_numba_cache_goes_to_the_harness_cache(tmp_path: Path) -> None:
    """ranx's compiled kernels are cached under <cache>/numba, not recompiled per process;
    the numpy metrics (the default set) load no numba at all."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["HARNESS_CACHE_DIR"] = str(tmp_path)
    code = (
        "import sys; from ir_harness.eval.metrics import evaluate; from ir_harness.data.spec import TaskSpec;"
        "evaluate({'q': {'a': 1.0}}, {'q': {'a': 1}}, TaskSpec(name='t', family='t'));"
        "assert 'numba' not in sys.modules, 'the default metrics imported numba';"
        "evaluate({'q': {'a': 1.0}}, {'q': {'a': 1}},"
        " TaskSpec(name='t', family='t', metrics=('bpref',), main_metric='bpref'))"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=600)
    assert any((tmp_path / "numba").rglob("*.nbi"))  # bpref: ranx's kernel, cached


def test_rows_per_query_counts_ranked_queries_only() -> None:
    """What ``harness eval`` hands to run_coverage: queries with rows, in first-seen order."""
    table = RunTable.from_dict({"q2": {"a": 1.0, "b": 0.5}, "q1": {}, "q3": {"a": 2.0}})
    assert table.rows_per_query() == {"q2": 2, "q3": 1}
