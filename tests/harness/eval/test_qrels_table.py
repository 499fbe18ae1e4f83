"""Qrels as columns score exactly as the same judgments nested, read from the same file."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.data.formats import read_trec_qrels, read_trec_qrels_table, read_trec_run_table
from ir_harness.errors import DataFormatError
from ir_harness.eval.qrels_table import QrelsTable
from ir_harness.eval.score import score_run

if TYPE_CHECKING:
    from pathlib import Path

MEASURES = ["ndcg@10", "map", "P@5", "recall@1000", "mrr", "judged@10", "ndcg", "Rprec",
            "bpref", "AP(rel=2)", "nDCG@10(judged_only)", "ERR@20", "RBP(p=0.8)"]  # fmt: skip


def _files(tmp_path: Path, seed: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    qrels, run = tmp_path / "q.trec", tmp_path / "r.trec"
    lines = []
    for i in rng.permutation(30):
        docs = rng.choice(80, size=int(rng.integers(1, 12)), replace=False)
        lines += [f"q{i} 0 d{d} {int(rng.integers(-1, 4))}\n" for d in docs]
    lines += lines[:5]  # pairs judged twice with one grade: kept once
    rng.shuffle(lines)  # queries not grouped
    qrels.write_text("".join(lines))
    rows = []
    for i in range(35):
        for r, d in enumerate(rng.choice(80, size=int(rng.integers(1, 40)), replace=False)):
            rows.append(f"q{i} Q0 d{d} {r} {rng.choice([0.5, 1.0, 2.25, -1.0])} t\n")
    run.write_text("".join(rows))
    return qrels, run


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_columns_score_as_the_nested_qrels(tmp_path: Path, seed: int) -> None:
    qrels, run = _files(tmp_path, seed)
    table = read_trec_run_table(run)
    nested = score_run(table, read_trec_qrels(qrels), MEASURES)
    columns = score_run(table, read_trec_qrels_table(qrels), MEASURES)
    assert columns.per_query == nested.per_query  # bit for bit
    assert columns.means == nested.means and columns.query_ids == nested.query_ids
    cut = score_run(table, read_trec_qrels_table(qrels), MEASURES, depth=5)
    assert cut.per_query == score_run(table, read_trec_qrels(qrels), MEASURES, depth=5).per_query


def test_the_table_round_trips_and_keeps_first_appearance(tmp_path: Path) -> None:
    path = tmp_path / "q.trec"
    path.write_text("q2 0 b 1\nq1 0 a 2\nq2 0 a 0\nq2 0 b 1\n")
    table = read_trec_qrels_table(path)
    assert table.to_dict() == read_trec_qrels(path) == {"q2": {"b": 1, "a": 0}, "q1": {"a": 2}}
    assert QrelsTable.from_dict(table.to_dict()).to_dict() == table.to_dict()


def test_conflicting_grades_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.trec"
    path.write_text("q1 0 a 1\nq1 0 b 1\nq1 0 a 2\n")
    with pytest.raises(DataFormatError, match=r":3\b.*judged twice"):
        read_trec_qrels_table(path)


def test_eval_qrels_imports_neither_pandas_nor_ranx(tmp_path: Path) -> None:
    qrels, run = _files(tmp_path, 3)
    code = (
        "import sys; from ir_harness.cli import main\n"
        f"sys.argv = ['harness', 'eval', {str(run)!r}, '--qrels', {str(qrels)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'ranx', 'torch'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]", out.stderr
