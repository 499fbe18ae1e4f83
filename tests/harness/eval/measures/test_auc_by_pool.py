"""Global and per-query ROC-AUC against brute-force pair counting and hand cases."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from ir_harness.errors import ConfigError
from ir_harness.eval.measures.auc_by_pool import auc_metrics, parse_pool, roc_auc


def brute_auc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, lab in zip(scores, labels) if lab]
    neg = [s for s, lab in zip(scores, labels) if not lab]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pair_counting_with_ties() -> None:
    rng = random.Random(0)
    for _ in range(20):
        s = [rng.choice([0.0, 0.5, 1.0, 2.0, -math.inf]) for _ in range(12)]
        lab = [rng.random() < 0.4 for _ in range(12)]
        if any(lab) and not all(lab):
            assert roc_auc(np.array(s), np.array(lab)) == pytest.approx(brute_auc(s, lab))
    assert math.isnan(roc_auc(np.array([1.0, 2.0]), np.array([True, True])))


def test_global_differs_from_per_query_when_scales_differ() -> None:
    # each query ranks perfectly, but q2's relevant doc scores below q1's non-relevant one
    run = {"q1": {"a": 0.9, "b": 0.8}, "q2": {"c": 0.3, "d": 0.1}}
    qrels = {"q1": {"a": 1, "b": 0}, "q2": {"c": 2, "d": 0}}
    m = auc_metrics(run, qrels, pool="judged")
    assert m["auc_per_query"] == {"q1": 1.0, "q2": 1.0} and m["auc_per_query_mean"] == 1.0
    # positives {0.9, 0.3} vs negatives {0.8, 0.1}: 0.9>0.8, 0.9>0.1, 0.3<0.8, 0.3>0.1 -> 3/4
    assert m["auc_global"] == pytest.approx(0.75)
    assert "judged" in m["auc_pool"] and m["auc_n_pairs"] == 4


def test_pool_adds_top_k_and_unreturned_judged_docs_score_lowest() -> None:
    run = {"q": {"a": 3.0, "b": 2.0, "c": 1.0, "e": 0.5}}
    qrels = {"q": {"a": 1, "c": 0, "d": 1}}
    m = auc_metrics(run, qrels, pool="judged+top2")
    # pool: top2 {a, b} + judged {a, c, d}; d unreturned -> -inf; b unjudged -> non-relevant
    # positives a(3), d(-inf) vs negatives b(2), c(1): a wins 2, d loses 2 -> 0.5
    assert m["auc_global"] == pytest.approx(0.5) and m["auc_n_pairs"] == 4
    m = auc_metrics(run, qrels, pool="top3")  # a, b, c only: a beats b and c
    assert m["auc_global"] == pytest.approx(1.0) and m["auc_n_pairs"] == 3
    assert m["auc_pool"].startswith("top3")


def test_min_relevance_and_queries_without_both_classes() -> None:
    run = {"q1": {"a": 1.0, "b": 0.0}, "q2": {"x": 1.0}}
    qrels = {"q1": {"a": 1, "b": 2}, "q2": {"x": 1}}
    m = auc_metrics(run, qrels, pool="judged", min_relevance=2)
    assert m["auc_per_query"] == {"q1": 0.0}  # q2 has no positive at grade 2 ... and no negative
    assert m["auc_n_queries"] == 2 and m["auc_n_queries_both_classes"] == 1
    assert "grade >= 2" in m["auc_pool"]


@pytest.mark.parametrize("bad", ["", "top", "judged+", "top5+judged", "all"])
def test_bad_pool_names_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_pool(bad)


def test_each_pool_is_stored_under_its_own_name() -> None:
    """top2 sees only the returned list; judged+top2 adds the unreturned relevant doc at -inf."""
    from ir_harness.eval.measures.auc_by_pool import pooled_auc

    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}}
    qrels = {"q1": {"b": 1, "z": 1}}  # z was never returned
    means, per_query, extra = pooled_auc(run, qrels, pools=("top2", "judged+top2"))
    # top2 = {a, b}: one positive (b) below one negative (a)
    assert means["auc_global(top2)"] == 0.0 and per_query["auc(top2)"] == {"q1": 0.0}
    # judged+top2 = {a, b, z}: b and z (at -inf) are both below a
    assert means["auc_global(judged+top2)"] == 0.0
    run["q1"]["z"] = 4.0  # returned but outside the top 2: only judged+top2 sees it
    means, _, extra = pooled_auc(run, qrels, pools=("top2", "judged+top2"))
    assert means["auc_global(top2)"] == 1.0  # top2 = {z, a}: z above a
    assert means["auc_global(judged+top2)"] == pytest.approx(0.5)  # z, b vs a
    assert set(means) == {f"{s}({p})" for s in ("auc_global", "auc_per_query_mean")
                          for p in ("top2", "judged+top2")}  # fmt: skip
    assert extra["auc_pools"]["top2"]["auc_pool"].startswith("top2: per query, the run's top 2")
