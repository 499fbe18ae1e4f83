"""RBO and Kendall's tau against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from ir_harness.reproduce.rank_agreement import kendall_tau, rbo


def test_rbo_of_equal_lists_is_one_and_of_disjoint_lists_zero() -> None:
    assert rbo(list("abcdefghij"), list("abcdefghij")) == pytest.approx(1.0)
    assert rbo(list("abc"), list("xyz")) == 0.0
    assert rbo([], []) == 1.0 and rbo(["a"], []) == 0.0


def test_rbo_of_a_swap_below_the_top() -> None:
    # X_1 = 1, X_2 = 1, X_3 = 3 (p = 0.9, k = 3):
    # (1-p)/p * (1*0.9 + 1/2*0.81 + 3/3*0.729) + (3/3)*0.729 = 0.226 + 0.729 = 0.955
    assert rbo(list("abc"), list("acb"), p=0.9, depth=3) == pytest.approx(0.955, abs=1e-12)


def test_rbo_weighs_the_top_more_than_the_bottom() -> None:
    top_swap = rbo(list("bacde"), list("abcde"), depth=5)
    bottom_swap = rbo(list("abced"), list("abcde"), depth=5)
    assert top_swap < bottom_swap < 1.0


def test_rbo_of_uneven_lists_extrapolates_the_shorter_one() -> None:
    # s = 1, l = 2, X_1 = 1, X_2 = 1:
    # (1-p)/p * (1*0.9 + 1/2*0.81 + 1*(2-1)/(1*2)*0.81) + ((1-1)/2 + 1/1)*0.81 = 0.19 + 0.81 = 1
    assert rbo(["a"], ["a", "b"], depth=10) == pytest.approx(1.0)
    assert rbo(["a", "b"], ["a"], depth=10) == pytest.approx(1.0)


def test_rbo_truncates_at_depth() -> None:
    assert rbo(list("abcx"), list("abcy"), depth=3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="p="):
        rbo(["a"], ["a"], p=1.0)


def test_kendall_tau_hand_cases() -> None:
    assert kendall_tau(list("abcd"), list("abcd")) == 1.0
    assert kendall_tau(list("abcd"), list("dcba")) == -1.0
    # one discordant pair (c, d) of six: (5 - 1) / 6
    assert kendall_tau(list("abcd"), list("abdc")) == pytest.approx(4 / 6)
    # only shared documents count: a, c in both, same order
    assert kendall_tau(list("axc"), list("acy")) == 1.0
    assert kendall_tau(list("abcd"), list("abcd"), depth=2) == 1.0


def test_kendall_tau_without_a_pair() -> None:
    assert kendall_tau(["a"], ["a"]) == 1.0
    assert math.isnan(kendall_tau(["a"], ["b"]))
