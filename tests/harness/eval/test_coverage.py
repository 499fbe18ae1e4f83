"""Coverage checks: scores of 0.0 that mean "nothing matched" are errors or warnings with counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.errors import DataFormatError
from ir_harness.eval.coverage import empty_rankings, read_judge_qrels_checked, run_coverage

if TYPE_CHECKING:
    from pathlib import Path

QRELS = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {}}


def test_counts_for_a_partial_run() -> None:
    c = run_coverage({"q1": {"d1": 1.0}, "zz": {"d1": 1.0}}, QRELS, "run.trec", "qrels")
    assert c == {
        "run_queries": 2,
        "judged_queries": 2,
        "scored_queries_in_run": 1,
        "run_queries_unknown": 1,
        "judged_queries_missing_from_run": 1,
    }


@pytest.mark.parametrize(
    "run,qrels,match",
    [
        ({}, QRELS, "run.trec: holds no rankings"),
        ({"q1": {}}, QRELS, "run.trec: holds no rankings"),
        ({"x": {"d": 1.0}}, QRELS, "none of its 1 query ids"),
        ({"q1": {"d1": 1.0}}, {"q1": {}}, "qrels: has no judged queries"),
    ],
)
def test_meaningless_zero_is_an_error(run: dict, qrels: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(DataFormatError, match=match):
        run_coverage(run, qrels, "run.trec", "qrels")


def test_empty_rankings() -> None:
    assert empty_rankings({"q1": {"d": 1.0}, "q2": {}}, "s") == 1
    with pytest.raises(DataFormatError, match="no documents for any of the 2 queries"):
        empty_rankings({"q1": {}, "q2": {}}, "s")


def test_judge_qrels_checked(tmp_path: Path) -> None:
    p = tmp_path / "j.qrels"
    p.write_text("q1 0 d1 2\n")
    qrels, counts = read_judge_qrels_checked(p, {"q1": {"d1": 1, "d9": 0}})
    assert qrels == {"q1": {"d1": 2, "d9": 0}}
    assert counts == {"judge_pairs_labelled": 1, "judge_pairs_pool": 2}
    p.write_text("")
    with pytest.raises(DataFormatError, match="holds no judgements"):
        read_judge_qrels_checked(p, {"q1": {"d1": 1}})
