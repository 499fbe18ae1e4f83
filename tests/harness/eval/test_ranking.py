"""Positions of judged rows without sorting the run: the same as the full trec_eval order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ir_harness.eval.ranking import ranked
from ir_harness.eval.run_table import RunTable


def _table(seed: int, n_q: int = 7, n_d: int = 40) -> RunTable:
    rng = np.random.default_rng(seed)
    scores = np.array([0.5, -0.0, 0.0, 1.5, -2.0, 1.00000001, 1.0], dtype=np.float64)
    run = {
        f"q{i}": {f"d{j}": float(rng.choice(scores)) for j in rng.permutation(n_d)[: 5 + i]}
        for i in rng.permutation(n_q)
    }
    return RunTable.from_dict(run)


def _positions_by_sort(table: RunTable, depth: int | None) -> dict[tuple[str, str], int]:
    out = {}
    for qid, docs in table.prepared(depth=depth).to_dict().items():
        out.update({(qid, did): i for i, did in enumerate(docs)})
    return out


@pytest.mark.parametrize("one_key", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_positions_equal_the_sorted_order(seed: int, one_key: bool) -> None:
    table = _table(seed)
    kept = dataclasses.replace(ranked(table, depth=None), one_key=one_key)
    rows = np.random.default_rng(seed).permutation(len(table))[: len(table) // 3]
    got = kept.positions(rows)
    want = _positions_by_sort(table, None)
    pairs = zip(table.qids[table.q[rows]], table.dids[table.d[rows]], strict=True)
    assert got.tolist() == [want[p] for p in pairs]
    again = kept.positions(rows[: len(rows) // 2])  # known rows: read back, same values
    assert again.tolist() == got[: len(rows) // 2].tolist()


def test_depth_cuts_the_counts_and_quirks_drop_rows_first() -> None:
    table = RunTable.from_dict({"z": {"z": 9.0, "x": 1.0, "y": 2.0}, "a": {"x": 5.0, "y": 4.0}})
    kept = ranked(table, depth=1, excluded_ids={"a": {"x"}}, ignore_identical_ids=True)
    assert kept.counts.tolist() == [2, 1] and kept.n_ranked.tolist() == [1, 1]
    rows = np.arange(len(kept.q))
    assert kept.positions(rows).tolist() == [1, 0, 0]  # z: x (1.0) after y (2.0); a: y


def test_repeated_pairs_are_found_grouped_or_not() -> None:
    t = _table(4)
    assert t.first_duplicate() is None
    for q, d in [(t.q, t.d), (t.q[::-1], t.d[::-1])]:  # grouped by query, and not
        ok = RunTable(t.qids, t.dids, q, d, np.ones(len(q)))
        assert ok.first_duplicate() is None
        dup_q, dup_d = np.insert(q, 4, q[3]), np.insert(d, 4, d[3])  # row 4 repeats row 3
        dup = RunTable(t.qids, t.dids, dup_q, dup_d, np.ones(len(q) + 1))
        assert dup.first_duplicate() == 4
