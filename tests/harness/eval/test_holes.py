"""When Judged@10 is reported: only where the qrels judge some document non-relevant."""

from __future__ import annotations

from ir_harness.eval.holes import judges_nonrelevant, low_judged, with_judged_at_10


def test_pooled_qrels_get_judged_at_10_and_positives_only_qrels_do_not() -> None:
    pooled = {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}
    positives = {"q1": {"d1": 1}, "q2": {"d3": 2}}
    assert judges_nonrelevant(pooled) and not judges_nonrelevant(positives)
    assert with_judged_at_10(["ndcg@10"], pooled) == ["ndcg@10", "judged@10"]
    assert with_judged_at_10(["ndcg@10"], positives) == ["ndcg@10"]
    assert with_judged_at_10(["judged@10", "map"], pooled) == ["judged@10", "map"]
    assert judges_nonrelevant({"q1": {"d1": -1}})  # negative grades are judgments too


def test_the_warning_threshold_is_below_80_percent() -> None:
    assert low_judged({"judged@10": 0.79}) == 0.79
    assert low_judged({"judged@10": 0.8}) is None
    assert low_judged({"ndcg@10": 0.5}) is None
