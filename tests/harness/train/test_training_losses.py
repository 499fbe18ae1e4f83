"""Each loss against a small hand-computed case, plus the exactness properties the methods rely on."""

from __future__ import annotations

import itertools
import math

import pytest

torch = pytest.importorskip("torch")

from ir_harness.train import losses as L  # noqa: E402


def sp(x: float) -> float:
    return math.log1p(math.exp(-x))


def test_infonce_hand_case_and_false_negative_mask() -> None:
    s = torch.tensor([[1.0, 0.0, 0.5], [0.2, 0.8, 0.0]])
    t = torch.tensor([0, 1])
    want = (
        -(1.0 - math.log(math.e**1 + 1 + math.e**0.5))
        - (0.8 - math.log(math.e**0.2 + math.e**0.8 + 1))
    ) / 2
    assert L.infonce_loss(s, t, scale=1.0).item() == pytest.approx(want, abs=1e-6)
    # masking cell (0, 2) removes it from row 0's softmax; the target is never masked
    ignore = torch.tensor([[True, False, True], [False, False, False]])
    want_m = (-(1.0 - math.log(math.e + 1)) - (0.8 - math.log(math.e**0.2 + math.e**0.8 + 1))) / 2
    assert L.infonce_loss(s, t, 1.0, ignore).item() == pytest.approx(want_m, abs=1e-6)


def test_mw_global_hand_case() -> None:
    s = torch.tensor([[1.0, 0.0], [0.5, 2.0]])
    pos = torch.tensor([[True, False], [False, True]])
    # positives {1, 2}, negatives {0, 0.5}: differences 1, 0.5, 2, 1.5
    want = (sp(1.0) + sp(0.5) + sp(2.0) + sp(1.5)) / 4
    assert L.mw_loss(s, pos, scale=1.0).item() == pytest.approx(want, abs=1e-6)
    # scale multiplies the differences
    want2 = (sp(2.0) + sp(1.0) + sp(4.0) + sp(3.0)) / 4
    assert L.mw_loss(s, pos, scale=2.0).item() == pytest.approx(want2, abs=1e-6)


def test_mw_within_query_differs_from_global() -> None:
    s = torch.tensor([[1.0, 0.0], [0.5, 2.0]])
    pos = torch.tensor([[True, False], [False, True]])
    # row 0: 1 - 0; row 1: 2 - 0.5  (cross-row pairs 1 - 0.5 and 2 - 0 are not used)
    want = (sp(1.0) + sp(1.5)) / 2
    got = L.mw_loss(s, pos, scale=1.0, within_query=True).item()
    assert got == pytest.approx(want, abs=1e-6)
    assert got != pytest.approx(L.mw_loss(s, pos, scale=1.0).item(), abs=1e-4)


@pytest.mark.parametrize("within", [False, True])
def test_mw_chunked_equals_unchunked_in_value_and_gradient(within: bool) -> None:
    g = torch.Generator().manual_seed(0)
    base = torch.randn(6, 14, generator=g)
    pos = torch.rand(6, 14, generator=g) < 0.3
    pos[:, 0] = True
    grads = []
    vals = []
    for chunk in (None, 1, 3):
        s = base.clone().requires_grad_(True)
        v = L.mw_loss(s, pos, scale=5.0, chunk_size=chunk, within_query=within)
        v.backward()
        vals.append(v.item())
        grads.append(s.grad.clone())
    assert vals[1] == pytest.approx(vals[0], rel=1e-6)
    assert vals[2] == pytest.approx(vals[0], rel=1e-6)
    assert torch.allclose(grads[1], grads[0], atol=1e-7)
    assert torch.allclose(grads[2], grads[0], atol=1e-7)


def test_plackett_luce_probabilities_sum_to_one_over_all_permutations() -> None:
    s = torch.tensor([2.0, -1.0, 0.5, 30.0])  # a large score must not overflow
    perms = torch.tensor(list(itertools.permutations(range(4))))
    logp = L.plackett_luce_log_prob(s, perms)
    assert torch.isfinite(logp).all()
    assert logp.exp().sum().item() == pytest.approx(1.0, abs=1e-5)
    # truncated to the top 2: each distinct prefix counted once also sums to one
    prefixes = torch.tensor([p for p in itertools.permutations(range(4)) if p[2] < p[3]])
    assert L.plackett_luce_log_prob(s, prefixes, k=2).exp().sum().item() == pytest.approx(
        1.0, abs=1e-5
    )


def test_plackett_luce_hand_case() -> None:
    s = torch.tensor([0.0, math.log(2.0), math.log(3.0)])  # weights 1, 2, 3
    r = torch.tensor([[2, 0, 1]])
    want = math.log(3 / 6) + math.log(1 / 3)
    assert L.plackett_luce_log_prob(s, r).item() == pytest.approx(want, abs=1e-6)


def test_gumbel_sampling_matches_plackett_luce() -> None:
    s = torch.tensor([0.0, math.log(2.0), math.log(3.0)])
    g = torch.Generator().manual_seed(1)
    ranks = L.gumbel_rankings(s, 20000, g)
    first = torch.bincount(ranks[:, 0], minlength=3).float() / 20000
    assert first.tolist() == pytest.approx([1 / 6, 2 / 6, 3 / 6], abs=0.015)
    both = ((ranks[:, 0] == 2) & (ranks[:, 1] == 0)).float().mean().item()
    assert both == pytest.approx(0.5 * 1 / 3, abs=0.015)


def test_ndcg_hand_case() -> None:
    gains = torch.tensor([0.0, 2.0, 1.0])
    r = torch.tensor([[0, 1, 2], [1, 2, 0]])
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    got = L.ndcg_at_k(gains, r, k=10)
    assert got[0].item() == pytest.approx(dcg / ideal, abs=1e-6)
    assert got[1].item() == pytest.approx(1.0, abs=1e-6)
    assert L.ndcg_at_k(gains, r, k=1)[0].item() == 0.0


def test_pgrank_loss_leave_one_out_hand_case() -> None:
    s = torch.tensor([0.0, math.log(2.0), math.log(3.0)], requires_grad=True)
    gains = torch.tensor([1.0, 0.0, 0.0])
    r = torch.tensor([[0, 1, 2], [2, 1, 0]])
    u0 = 1.0
    u1 = (1 / math.log2(4)) / 1.0
    adv = [u0 - u1, u1 - u0]  # leave-one-out baselines with N = 2
    lp0 = math.log(1 / 6) + math.log(2 / 5)
    lp1 = math.log(3 / 6) + math.log(2 / 3)
    want = -(adv[0] * lp0 + adv[1] * lp1) / 2
    loss = L.pgrank_loss(s, gains, r, k=10)
    assert loss.item() == pytest.approx(want, abs=1e-6)
    loss.backward()
    # the better ranking puts item 0 first, so descending the loss raises item 0's score
    assert s.grad[0].item() < 0


def test_pgrank_equal_utilities_give_zero_gradient() -> None:
    s = torch.tensor([0.3, 0.1, 0.9], requires_grad=True)
    r = torch.tensor([[0, 1, 2], [1, 0, 2]])
    L.pgrank_loss(s, torch.tensor([0.0, 0.0, 1.0]), r, k=10).backward()
    assert torch.allclose(s.grad, torch.zeros(3))


def test_cosent_hand_case() -> None:
    cos = torch.tensor([0.9, 0.2, 0.5])
    gold = torch.tensor([5.0, 1.0, 1.0])
    # pairs with gold_i > gold_j: (0, 1), (0, 2)
    want = math.log(1 + math.exp(2 * (0.2 - 0.9)) + math.exp(2 * (0.5 - 0.9)))
    assert L.cosent_loss(cos, gold, scale=2.0).item() == pytest.approx(want, abs=1e-6)
