"""Tier, minimum detectable effect and bootstrap intervals against numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ir_harness.eval.confidence import bootstrap_interval, minimum_detectable_effect, tier

# Three queries. X trails the best by 0.30, 0.31, 0.32; Y by 0.1, 0.2, 0.3.
BEST = {"q1": 0.9, "q2": 0.8, "q3": 0.7}
X = {q: v - d for (q, v), d in zip(BEST.items(), (0.30, 0.31, 0.32))}
Y = {q: v - d for (q, v), d in zip(BEST.items(), (0.1, 0.2, 0.3))}
PQ = {"best": BEST, "x": X, "y": Y}


def t2_p(mean: float, sd: float) -> float:
    """Two-sided p of a paired t-test on 3 queries: Student's t with 2 degrees of freedom has
    the closed form P(|T| > t) = 1 - t / sqrt(2 + t^2)."""
    t = mean / (sd / math.sqrt(3))
    return 1 - t / math.sqrt(2 + t * t)


def test_tier_matches_holm_by_hand() -> None:
    # X: mean 0.31, sd 0.01 -> t = 53.69, p = 1 - 53.69 / sqrt(2 + 2883) = 3.47e-4.
    # Y: mean 0.2,  sd 0.1  -> t = 3.464, p = 1 - 3.464 / sqrt(14) = 0.0742.
    p_x, p_y = t2_p(0.31, 0.01), t2_p(0.2, 0.1)
    assert p_x == pytest.approx(3.47e-4, rel=1e-2)
    assert p_y == pytest.approx(0.0742, abs=1e-4)
    # Holm over 2 tests: smallest p times 2 = 6.9e-4 < 0.05 (X separated); then
    # max(6.9e-4, 0.0742 * 1) = 0.0742 >= 0.05 (Y not separated). Tier: best and Y.
    assert tier(PQ, "best", test="t-test") == ["best", "y"]
    # with alpha 0.08 Y is separated too, and the tier is the best alone
    assert tier(PQ, "best", test="t-test", alpha=0.08) == ["best"]


def test_mde_by_hand() -> None:
    # variances (ddof 1) of the differences: X 0.0001, Y 0.01; pooled with weights 2 and 2:
    # (2 * 0.0001 + 2 * 0.01) / 4 = 0.00505, sd = 0.0710634.
    # z_{0.975} + z_{0.8} = 1.959964 + 0.841621 = 2.801585; n = 3:
    # MDE = 0.1990902 / 1.7320508 = 0.114945.
    got = minimum_detectable_effect(PQ, "best")
    assert got is not None
    assert got["sd"] == pytest.approx(0.0710634, rel=1e-6)
    assert got["n_queries"] == 3
    assert got["mde"] == pytest.approx(0.114945, rel=1e-5)
    # only X: sd 0.01 -> 2.801585 * 0.01 / sqrt(3) = 0.0161750
    only_x = minimum_detectable_effect(PQ, "best", rows=["x"])
    assert only_x is not None and only_x["mde"] == pytest.approx(0.0161750, rel=1e-5)


def test_mde_needs_shared_queries() -> None:
    assert minimum_detectable_effect({"best": BEST, "z": {"q1": 0.1}}, "best") is None


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    v = list(np.random.default_rng(3).random(50))
    a, b = bootstrap_interval(v), bootstrap_interval(v)
    assert a == b  # same bits on every call
    assert a is not None and a[0] < float(np.mean(v)) < a[1]
    assert bootstrap_interval(v, seed=1) != a
    # a constant column has a zero-width interval; too few values have none
    assert bootstrap_interval([0.5] * 10) == (0.5, 0.5)
    assert bootstrap_interval([0.5, math.nan]) is None


def test_bootstrap_interval_of_two_values_by_hand() -> None:
    # resampling [0, 1] twice gives means 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4, so with
    # 10,000 resamples the 2.5% and 97.5% quantiles are 0 and 1.
    assert bootstrap_interval([0.0, 1.0], resamples=10_000) == (0.0, 1.0)
