"""The Starbucks training method's losses: the 2D Matryoshka sum against a hand-computed case,
and the (layers, dims) list scaled to a backbone."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from ir_harness.systems import starbucks_training as SB  # noqa: E402
from ir_harness.train import losses as L  # noqa: E402


def test_kl_and_starbucks_loss_hand_case() -> None:
    full = torch.tensor([[1.0, 0.0]])
    sub = torch.tensor([[0.0, 0.0]])
    p = [math.e / (math.e + 1), 1 / (math.e + 1)]
    kl = sum(pi * math.log(pi / 0.5) for pi in p)
    assert L.kl_to_teacher(full, sub).item() == pytest.approx(kl, abs=1e-6)
    t = torch.tensor([0])

    def inner(x: torch.Tensor) -> torch.Tensor:
        return L.infonce_loss(x, t, 1.0)

    ce_full = -math.log(p[0])
    ce_sub = math.log(2)
    got = SB.starbucks_loss([sub], full, inner, kl_weight=0.5)
    assert got.item() == pytest.approx(ce_full + ce_sub + 0.5 * kl, abs=1e-6)
    got = SB.starbucks_loss([sub], full, inner, kl_weight=0.5, include_full=False)
    assert got.item() == pytest.approx(ce_sub + 0.5 * kl, abs=1e-6)
    # the teacher is detached: no gradient reaches the full model through the KL term
    f = full.clone().requires_grad_(True)
    st = sub.clone().requires_grad_(True)
    L.kl_to_teacher(f, st).backward()
    assert f.grad is None and st.grad is not None


def test_starbucks_pairs_scale_with_backbone() -> None:
    assert SB.starbucks_pairs(12, 768) == [
        (2, 32),
        (4, 64),
        (6, 128),
        (8, 256),
        (10, 512),
        (12, 768),
    ]
    assert SB.starbucks_pairs(6, 384) == [(1, 16), (2, 32), (3, 64), (4, 128), (5, 256), (6, 384)]
    assert SB.starbucks_pairs(4, 32) == [(1, 4), (2, 8), (3, 16), (4, 32)]
