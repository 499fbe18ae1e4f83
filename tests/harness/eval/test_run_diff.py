"""``diff_runs`` and its HTML page on a three-query case worked by hand."""

from __future__ import annotations

from ir_harness.eval.run_diff import diff_runs
from ir_harness.eval.run_diff_page import diff_page
from ir_harness.reproduce.rank_agreement import rbo

QRELS = {"q1": {"d1": 2, "d2": 0, "d3": 1}, "q2": {"d4": 1}, "q3": {"d5": 1}}
RANKED_A = {"q1": ["d2", "d1", "d9"], "q2": ["d4"], "q3": ["d6"]}
RANKED_B = {"q1": ["d1", "d3", "d2"], "q2": ["d7", "d4"], "q3": ["d5"]}
# P@1 by hand: A gets q2 only, B gets q1 and q3
P1_A = {"q1": 0.0, "q2": 1.0, "q3": 0.0}
P1_B = {"q1": 1.0, "q2": 0.0, "q3": 1.0}


def diff(**kw: object) -> dict:
    return diff_runs(
        ("a", "b"),
        (P1_A, P1_B),
        (RANKED_A, RANKED_B),
        "P@1",
        qrels=QRELS,
        **kw,  # type: ignore[arg-type]
    )


def test_counts_means_and_agreement() -> None:
    d = diff()
    assert (d["wins"], d["ties"], d["losses"]) == (2, 0, 1)
    assert (d["mean_a"], d["mean_b"], d["n_queries"]) == (1 / 3, 2 / 3, 3)
    # three queries: sign flips can never reach below 2/8 of 2^3 patterns; p is far from 0
    assert 0.2 < d["p_value"] <= 1.0
    expected = [rbo(RANKED_A[q], RANKED_B[q]) for q in ("q1", "q2", "q3")]
    assert d["rbo"] == sum(expected) / 3
    assert expected[2] == 0.0  # q3's lists share nothing


def test_largest_first_with_judgments_and_unjudged_marked() -> None:
    d = diff(largest=2, queries={"q1": "first query"})
    # every |delta| is 1: ties broken by query id
    assert [q["query"] for q in d["largest"]] == ["q1", "q2"]
    q1 = d["largest"][0]
    assert q1["text"] == "first query" and q1["delta"] == 1.0
    assert q1["top_a"] == [
        {"doc": "d2", "grade": 0, "judged": True},
        {"doc": "d1", "grade": 2, "judged": True},
        {"doc": "d9", "grade": None, "judged": False},
    ]
    q2_b = d["largest"][1]["top_b"]
    assert q2_b[0] == {"doc": "d7", "grade": None, "judged": False}


def test_without_qrels_nothing_is_marked() -> None:
    d = diff_runs(("a", "b"), (P1_A, P1_B), (RANKED_A, RANKED_B), "P@1")
    assert d["judgments"] is False
    assert all(not e["judged"] for q in d["largest"] for e in q["top_a"])


def test_page_is_self_contained_and_escaped() -> None:
    evil = "<script>alert(1)</script>"
    d = diff_runs(
        (evil, "b"), (P1_A, P1_B), (RANKED_A, RANKED_B), "P@1", qrels=QRELS, queries={"q1": evil}
    )
    page = diff_page(d)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http" not in page  # no external file
    assert "[unjudged]" in page and "2 / 0 / 1" in page
