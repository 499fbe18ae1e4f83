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


@pytest.mark.parametrize("seed", [0, 1])
def test_scanned_and_sorted_run_pairs_score_the_same(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few judgments scan the run against them, many sort the run's pairs (asked a block of
    qrels rows at a time): the same judgments are found either way, nested or as columns."""
    from ir_harness.data import threads
    from ir_harness.eval import qrels_table, ranking

    qrels, run = _files(tmp_path, seed)
    table = read_trec_run_table(run)
    want = {kind: score_run(table, read(qrels), MEASURES).per_query
            for kind, read in [("nested", read_trec_qrels), ("columns", read_trec_qrels_table)]}  # fmt: skip
    assert want["nested"] == want["columns"]
    sorted_after: list[bool] = []  # whether each question went by the run's sorted pairs
    rows_of = ranking.RunPairs.rows_of

    def spied(self: ranking.RunPairs, keys: np.ndarray) -> np.ndarray:
        out = rows_of(self, keys)
        sorted_after.append(self._sorted is not None)
        return out

    monkeypatch.setattr(ranking.RunPairs, "rows_of", spied)
    score_run(table, read_trec_qrels_table(qrels), MEASURES)
    assert sorted_after and not any(sorted_after)  # the defaults: a scan
    sorted_after.clear()
    monkeypatch.setattr(ranking, "CHUNK_ROWS", 16)  # many blocks of rows, on the threads...
    assert score_run(table, read_trec_qrels_table(qrels), MEASURES).per_query == want["nested"]
    monkeypatch.setattr(threads, "_pool", lambda: None)  # ...and on this thread alone
    assert score_run(table, read_trec_qrels_table(qrels), MEASURES).per_query == want["nested"]
    sorted_after.clear()
    monkeypatch.setattr(qrels_table, "_DICT_LOOKUP_ROWS", 0)  # run codes by pyarrow's lookup
    monkeypatch.setattr(ranking, "FEW_SHARE", 10**9)
    monkeypatch.setattr(ranking, "FEW_PAIRS", 0)  # every question sorts the run's pairs...
    monkeypatch.setattr(qrels_table, "_COUNT_BLOCK", 7)  # ...asked a block of rows at a time
    for read in (read_trec_qrels, read_trec_qrels_table):
        assert score_run(table, read(qrels), MEASURES).per_query == want["nested"]
    monkeypatch.setattr(ranking, "FEW_PAIRS", 30)  # blocks wait until 30 pairs, then sort
    assert score_run(table, read_trec_qrels_table(qrels), MEASURES).per_query == want["nested"]
    monkeypatch.setattr(ranking, "PACKED_LIMIT", 0)  # pairs and rows sorted apart (argsort)
    for read in (read_trec_qrels, read_trec_qrels_table):
        assert score_run(table, read(qrels), MEASURES).per_query == want["nested"]
    assert sorted_after and all(sorted_after)


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
    """Nor, for a small qrels file grouped by query without repeats (the usual file),
    pyarrow.compute or the task spec's pydantic models: each import is a visible share of a
    cold ``harness eval --qrels``."""
    qrels, run = _files(tmp_path, 3)
    qrels.write_text("".join(sorted(set(qrels.read_text().splitlines(keepends=True)))))
    code = (
        "import sys; from ir_harness.cli import main\n"
        f"sys.argv = ['harness', 'eval', {str(run)!r}, '--qrels', {str(qrels)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'ranx', 'torch'}))\n"
        "print(sorted(set(sys.modules) & {'pyarrow.compute', 'ir_harness.data.spec'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-2:] == ["[]", "[]"], out.stderr


def test_grade_counts_are_the_same_by_counting_and_by_sorting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ir_harness.eval import qrels_table

    rng = np.random.default_rng(7)
    qi = np.sort(rng.integers(0, 40, size=3_000))
    grade = rng.integers(-2, 5, size=3_000)
    counted = qrels_table.grade_counts(qi, grade, 40)
    monkeypatch.setattr(qrels_table, "_MAX_COUNT_CELLS", 0)
    sorted_ = qrels_table.grade_counts(qi, grade, 40)
    for a, b in zip(counted, sorted_, strict=True):
        assert a.tolist() == b.tolist()
    # each query: its grades (negatives as 0) highest first, with their counts
    for q in range(40):
        mine = counted.qi == q
        want = np.unique(np.maximum(grade[qi == q], 0), return_counts=True)
        assert counted.grade[mine].tolist() == want[0][::-1].astype(float).tolist()
        assert counted.n[mine].tolist() == want[1][::-1].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_ideal_rows_are_the_sorted_grades_cut_at_k(seed: int) -> None:
    from ir_harness.eval.qrels_table import grade_counts, ideal_rows

    rng = np.random.default_rng(seed)
    nq = 12
    qi = np.sort(rng.integers(0, nq, size=200))
    grade = rng.integers(-1, 4, size=200) * (10**8 if seed == 4 else 1)  # wide: sorted path
    k = rng.integers(0, 25, size=nq)
    level = int(rng.integers(1, 3))
    got_q, got_col, got_grade = ideal_rows(grade_counts(qi, grade, nq), level, k)
    want: list[tuple[int, int, float]] = []
    for q in range(nq):
        ranked = sorted(np.maximum(grade[qi == q], 0).tolist(), reverse=True)
        want += [(q, c, float(g)) for c, g in enumerate(ranked) if c < k[q] and g >= level]
    assert list(zip(got_q.tolist(), got_col.tolist(), got_grade.tolist())) == want


def test_unordered_queries_and_repeats_score_as_nested(tmp_path: Path) -> None:
    qrels, run = tmp_path / "q.trec", tmp_path / "r.trec"
    qrels.write_text("q2 0 a 1\nq1 0 a 2\nq2 0 b 3\nq1 0 c -1\nq2 0 a 1\nq1 0 b 1\n")
    run.write_text("q1 Q0 a 1 3 t\nq1 Q0 b 2 2 t\nq2 Q0 b 1 1 t\nq2 Q0 c 2 1 t\n")
    table = read_trec_run_table(run)
    columns = read_trec_qrels_table(qrels)
    assert columns.to_dict() == {"q2": {"a": 1, "b": 3}, "q1": {"a": 2, "c": -1, "b": 1}}
    assert (
        score_run(table, columns, MEASURES).per_query
        == score_run(table, read_trec_qrels(qrels), MEASURES).per_query
    )
