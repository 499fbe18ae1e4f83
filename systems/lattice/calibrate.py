"""LATTICE's score calibrator and the GMM threshold used to sample calibration leaves.

Slates scored by an LLM are not comparable with each other (each slate has its own bias); the
calibrator fits one latent score per node from all slates seen so far, as the authors' code does:
utilities ``tau*theta_j``, a bias ``b_s`` per slate and a shared scale ``a``. The objective mixes
a Plackett-Luce NLL over each slate sorted by LLM score with a weighted MSE that fits
``a*tau*theta_j + b_s`` to ``tau*s_j`` (weights ``max(0.1, sigmoid(s_j - 0.5))``); ``lambda_mse=1``
(the authors' "mse_calib" runs, our default) is pure weighted MSE, ``0`` pure Plackett-Luce.
AdamW (lr 1e-2, wd 1e-4), 200 full-batch steps, gradient clipping at 1.0, theta ~ N(0, 0.01^2);
after fitting theta <- a*theta divided by its maximum, where nodes never seen count as 0 (as in
the authors' code, whose maximum runs over the whole node registry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LAMBDAS = {"mse": 1.0, "pl": 0.0}


def lambda_for(name: str) -> float:
    """``mse`` | ``pl`` | a number in [0, 1] (the MSE weight)."""
    if name in LAMBDAS:
        return LAMBDAS[name]
    lam = float(name)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"calibrator {name!r}: expected mse, pl or a weight in [0, 1]")
    return lam


@dataclass
class Calibrator:
    """Latent node scores fitted to all answered slates of one query (the objective above): ``add``
    each slate, then ``fit``; seeded, so the same slates give the same scores."""

    tau: float = 5.0
    lambda_mse: float = 1.0
    lr: float = 1e-2
    weight_decay: float = 1e-4
    steps: int = 200
    clip_grad: float = 1.0
    seed: int = 0
    slates: list[list[int]] = field(default_factory=list)
    scores: list[list[float]] = field(default_factory=list)
    theta: dict[int, float] = field(default_factory=dict)
    a: float = 1.0

    def add(self, observed: dict[int, float]) -> None:
        """One answered slate: node -> score in [0, 1]; stored sorted by score (the PL order)."""
        if not observed:
            return
        items = sorted(observed.items(), key=lambda kv: kv[1], reverse=True)
        for _, s in items:
            if not -1e-3 <= s <= 1.001:
                raise ValueError(f"calibrator scores must lie in [0, 1], got {s}")
        self.slates.append([k for k, _ in items])
        self.scores.append([float(s) for _, s in items])

    def fit(self) -> dict[int, float]:
        """Refit on every slate so far; returns (and keeps) the normalised latent scores."""
        import torch

        nodes = list(dict.fromkeys(k for s in self.slates for k in s))
        if not nodes:
            self.theta = {}
            return self.theta
        pos = {k: i for i, k in enumerate(nodes)}
        n_s, width = len(self.slates), max(len(s) for s in self.slates)
        idx = torch.zeros((n_s, width), dtype=torch.long)
        sc = torch.zeros((n_s, width))
        mask = torch.zeros((n_s, width), dtype=torch.bool)
        for r, (sl, ss) in enumerate(zip(self.slates, self.scores)):
            idx[r, : len(sl)] = torch.tensor([pos[k] for k in sl])
            sc[r, : len(ss)] = torch.tensor(ss)
            mask[r, : len(sl)] = True

        gen = torch.Generator().manual_seed(self.seed)
        theta = torch.nn.Parameter(torch.randn(len(nodes), generator=gen) * 0.01)
        a = torch.nn.Parameter(torch.tensor(1.0))
        b = torch.nn.Parameter(torch.zeros(n_s))
        params = [theta, a, b]
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        weights = torch.clamp(torch.sigmoid(sc - 0.5), min=0.1)
        lam = self.lambda_mse
        for _ in range(self.steps):
            opt.zero_grad()
            t = theta[idx] * self.tau
            loss = torch.zeros(())
            if lam < 1.0:
                # PL NLL of each slate in its stored (score-descending) order. Padding gets a
                # large finite negative utility (not -inf, whose gradient would be NaN).
                tm = t.masked_fill(~mask, -1e4)
                tail = torch.logcumsumexp(tm.flip(1), dim=1).flip(1)
                ll = (t * mask).sum(1) - (tail * mask).sum(1)
                loss = loss + (1 - lam) * (-ll.mean())
            if lam > 0.0:
                pred = a * t + b[:, None]
                err = (pred - sc * self.tau) ** 2 * weights
                loss = loss + lam * err[mask].sum() / weights[mask].sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, self.clip_grad)
            opt.step()
        self.a = float(a.detach())
        raw = theta.detach().numpy().astype(np.float64) * self.a
        top = max(float(raw.max()), 0.0)  # unseen registry nodes are 0 in the reference's max
        if top <= 0.0:
            top = 1.0  # all latent scores <= 0: keep them as they are rather than divide by 0
        self.theta = {k: float(raw[pos[k]] / top) for k in nodes}
        return self.theta

    def value(self, node: int) -> float:
        """A node's latent score from the last ``fit``; 0 for a node no answered slate showed, the
        same default the traversal uses."""
        return self.theta.get(node, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """What the fit saw (slates in PL order, their scores) and the scale it found, for
        inspecting one query's calibration."""
        return {"slates": self.slates, "scores": self.scores, "a": self.a}


def gmm_threshold(values: np.ndarray, seed: int = 0) -> float:
    """Density minimum of a two-component 1-D GMM between its two means (0.0 when undefined).

    Evaluated on 1,000 grid points between min and max of ``values``, as the reference does.
    """
    from sklearn.mixture import GaussianMixture

    v = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    if len(v) < 2 or math.isclose(float(v.max()), float(v.min())):
        return 0.0
    gmm = GaussianMixture(n_components=2, random_state=seed).fit(v)
    x = np.linspace(float(v.min()), float(v.max()), 1000)
    pdf = np.exp(gmm.score_samples(x.reshape(-1, 1)))
    lo, hi = float(gmm.means_.min()), float(gmm.means_.max())
    inside = (x >= lo) & (x <= hi)
    if not inside.any():
        return 0.0
    return float(x[inside][int(np.argmin(pdf[inside]))])


def calibration_weights(values: np.ndarray, threshold: float) -> np.ndarray:
    """Sampling weights 4^(2c) above the threshold, 1e-4 below, normalised."""
    w = np.where(values > threshold, np.power(4.0, 2.0 * values), 1e-4)
    return w / w.sum()
