"""The calibrator recovers known latent scores from noisy, biased slates; the GMM threshold."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from ir_harness.systems.lattice.calibrate import (
    Calibrator,
    calibration_weights,
    gmm_threshold,
    lambda_for,
)


def noisy_slates(seed: int = 0) -> tuple[np.ndarray, list[dict[int, float]], np.ndarray]:
    rng = np.random.default_rng(seed)
    latent = rng.uniform(0, 1, 40)
    slates, naive_sum, naive_n = [], np.zeros(40), np.zeros(40)
    for _ in range(80):
        items = rng.choice(40, size=8, replace=False)
        bias = rng.uniform(-0.25, 0.25)  # each slate shifts all its scores (LLM inconsistency)
        obs = {int(i): float(np.clip(latent[i] + bias + rng.normal(0, 0.05), 0, 1)) for i in items}
        slates.append(obs)
        for i, s in obs.items():
            naive_sum[i] += s
            naive_n[i] += 1
    return latent, slates, naive_sum / np.maximum(naive_n, 1)


@pytest.mark.parametrize("name", ["mse", "pl"])
def test_calibrator_recovers_latent_order(name: str) -> None:
    latent, slates, naive = noisy_slates()
    cal = Calibrator(lambda_mse=lambda_for(name), seed=0, steps=300 if name == "pl" else 200)
    for s in slates:
        cal.add(s)
    theta = cal.fit()
    seen = sorted(theta)
    est = np.array([theta[i] for i in seen])
    rho = spearmanr(est, latent[seen]).statistic
    assert rho > 0.9, rho
    assert est.max() == pytest.approx(1.0)
    if name == "mse":  # the slate biases are modelled, so it beats averaging raw scores
        assert rho >= spearmanr(naive[seen], latent[seen]).statistic - 0.01


def test_calibrator_is_deterministic_and_validates() -> None:
    _, slates, _ = noisy_slates(1)
    a, b = Calibrator(seed=3), Calibrator(seed=3)
    for s in slates[:10]:
        a.add(s)
        b.add(s)
    assert a.fit() == b.fit()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        a.add({0: 1.5})
    assert Calibrator().fit() == {}
    with pytest.raises(ValueError):
        lambda_for("1.5")


def test_slates_are_stored_in_score_order() -> None:
    c = Calibrator()
    c.add({7: 0.1, 3: 0.9, 5: 0.5})
    assert c.slates == [[3, 5, 7]] and c.scores == [[0.9, 0.5, 0.1]]


def test_gmm_threshold_splits_two_modes() -> None:
    rng = np.random.default_rng(0)
    vals = np.concatenate([rng.normal(0.1, 0.05, 50), rng.normal(0.8, 0.05, 10)])
    th = gmm_threshold(vals)
    assert 0.25 < th < 0.7
    w = calibration_weights(vals, th)
    assert w.sum() == pytest.approx(1.0) and w[50:].min() > 100 * w[:50].max()
    assert gmm_threshold(np.ones(5)) == 0.0
