"""Paired significance tests and Holm correction."""

from __future__ import annotations

import numpy as np
import pytest

from harness.compare import compare, holm, randomization_test


def test_holm_matches_hand_computation() -> None:
    # sorted p: 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (monotone step-down)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])


def test_randomization_detects_a_consistent_gain_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, 50)
    assert randomization_test(base + 0.1, base, n=2000) < 0.01
    assert randomization_test(base, base) == 1.0
    noisy = base + rng.normal(0, 0.05, 50)
    noisy = noisy - (noisy - base).mean()  # zero mean difference
    assert randomization_test(noisy, base, n=2000) > 0.5


def test_compare_pairs_queries_and_counts_wins() -> None:
    per_query = {
        "base": {"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0.2},
        "better": {"q1": 0.9, "q2": 0.8, "q3": 0.5, "q4": 0.9},
        "other": {"q1": 0.5, "q2": 0.5, "q3": 0.5},
    }
    rows = {c.system: c for c in compare(per_query, "base", "ndcg@10", test="t-test")}
    assert rows["better"].n_queries == 3  # q4 is not scored for "other": only shared queries pair
    assert (rows["better"].wins, rows["better"].ties, rows["better"].losses) == (2, 1, 0)
    assert rows["other"].p_value == 1.0
    assert rows["better"].p_holm >= rows["better"].p_value
