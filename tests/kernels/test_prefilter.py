"""The bf16 prefilter top-k is bit-identical to the fp32 path (kernels/prefilter.py).

Forced on (``bf16_prefilter=True``: it runs on any CPU, slowly where there are no bf16 units)
and compared bit for bit with the fused fp32 path on random, clustered, duplicate-heavy and
adversarial inputs: near-ties at the candidate threshold, huge and tiny norms, NaN and inf.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

from ir_harness.kernels import prefilter  # noqa: E402
from ir_harness.kernels.topk import topk_torch  # noqa: E402

CHUNK = 256


def _both(q: np.ndarray, c: np.ndarray, k: int, chunk: int = CHUNK) -> dict:
    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    want = topk_torch(qt, ct, k, corpus_chunk=chunk, query_block=64, bf16_prefilter=False)
    stats: dict = {}
    got = topk_torch(
        qt, ct, k, corpus_chunk=chunk, query_block=64, bf16_prefilter=True, stats=stats
    )
    np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
    np.testing.assert_array_equal(
        got[0].view(torch.int32).numpy(), want[0].view(torch.int32).numpy()
    )
    return stats


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("seed", range(3))
def test_random_and_clustered(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = int(rng.choice([24, 64, 96]))
    c = _unit(rng.standard_normal((3000, d)))
    q = _unit(rng.standard_normal((70, d)))
    stats = _both(q, c, int(rng.choice([1, 10, 40])))
    assert stats["fallback_blocks"] == 12 and stats["candidates"] > 0  # the 6-query block
    centers = rng.standard_normal((5, d))
    c = _unit(centers[rng.integers(0, 5, 3000)] + 0.05 * rng.standard_normal((3000, d)))
    q = _unit(centers[rng.integers(0, 5, 40)] + 0.05 * rng.standard_normal((40, d)))
    _both(q, c, 25)


def test_duplicates_and_near_ties_at_the_threshold() -> None:
    rng = np.random.default_rng(3)
    base = _unit(rng.standard_normal((200, 32)))
    c = base[rng.integers(0, 200, 3000)].copy()  # every row repeated ~15 times: exact ties
    c[::7] = np.nextafter(c[::7], np.float32(2))  # one-ulp neighbours of the duplicates
    q = _unit(rng.standard_normal((40, 32)))
    q[:8] = base[:8]
    for k in (1, 15, 16, 100):
        _both(q, c, k)
    # scores spaced far below the bf16 resolution around the k-th place
    c2 = np.zeros((2048, 8), np.float32)
    c2[:, 0] = 1.0 + np.arange(2048, dtype=np.float32) * 2.0**-22
    q2 = np.tile(np.eye(8, dtype=np.float32)[:1], (33, 1))
    _both(q2, c2, 30)


def test_huge_tiny_norms_and_degenerate_data_fall_back_exactly() -> None:
    rng = np.random.default_rng(4)
    c = rng.standard_normal((2500, 16)).astype(np.float32)
    c[::11] *= 1e-30  # tiny: the absolute term of the bound
    c[5::13] *= 1e15
    with np.errstate(over="ignore"):
        c[300:400] *= 1e31  # a chunk with huge (some infinite) rows: scored in fp32
    q = rng.standard_normal((40, 16)).astype(np.float32)
    q[3] *= 1e-20
    stats = _both(q, c, 20)
    assert 0 < stats["fallback_blocks"] < stats["chunk_blocks"]
    same = np.ones((9000, 16), np.float32)  # every score equal: candidate buffers overflow
    stats = _both(np.ones((40, 16), np.float32), same, 10, chunk=2048)
    assert stats["fallback_blocks"] > 0


def test_nan_inf_and_small_blocks() -> None:
    rng = np.random.default_rng(5)
    c = rng.standard_normal((1500, 16)).astype(np.float32)
    c[[7, 900]] = np.inf
    c[450, 3] = np.nan
    q = rng.standard_normal((40, 16)).astype(np.float32)
    _both(q, c, 12)
    q[0, 0] = np.inf  # a non-finite query: its block goes the fp32 way
    _both(q, c, 12)
    _both(q[:5], c, 12)  # under 32 queries


def test_bound_constant() -> None:
    e = prefilter.error_coefficient(384)
    assert 2 * 2.0**-8 < e < 2 * 2.0**-8 + 1e-4  # inputs 2u + u², fp32 sums of both ~4.6e-5
    assert 4e-5 < prefilter.accumulation_coefficient(384) < 5e-5
    assert prefilter.rescore_reproducible(64) in (True, False)


def test_dispatch_by_capability_and_size() -> None:
    rng = np.random.default_rng(6)
    q = rng.standard_normal((40, 16)).astype(np.float32)
    c = rng.standard_normal((1100, 16)).astype(np.float32)
    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    small: dict = {}
    topk_torch(qt, ct[:1000], 5, corpus_chunk=256, stats=small)  # under 4 chunks: fp32
    assert small == {}
    auto: dict = {}
    topk_torch(qt, ct, 5, corpus_chunk=256, stats=auto)
    on = prefilter.bf16_capable() and prefilter.rescore_reproducible(16)
    assert bool(auto) == on
    off: dict = {}
    topk_torch(qt, ct, 5, corpus_chunk=256, stats=off, bf16_prefilter=False)
    assert off == {}


def _worst_rounding(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Components just under a bf16 tie: each rounds down by almost half a bf16 ulp, the
    largest residual bf16 rounding can leave (relative to the component, about u)."""
    mant = np.float32(1.0 + 2.0**-8 - 2.0**-22)
    expo = rng.integers(-3, 3, (n, d))
    return (np.where(rng.random((n, d)) < 0.5, -1, 1) * mant * 2.0**expo).astype(np.float32)


@pytest.mark.parametrize("worst", [False, True])
def test_every_pair_within_the_measured_bound(worst: bool) -> None:
    """|fp32 score - bf16 score| <= E(q, d) + o|r| for every pair, E from the measured
    residuals (module doc); per-document norms here (a chunk of width 1 per document)."""
    rng = np.random.default_rng(7)
    d = 64
    if worst:
        c, q = _worst_rounding(rng, 600, d), _worst_rounding(rng, 40, d)
    else:
        c = _unit(rng.standard_normal((600, d)))
        q = _unit(rng.standard_normal((40, d)))
    ct, qt = torch.from_numpy(c), torch.from_numpy(q)
    dn, rn = np.array([prefilter.chunk_bounds(c[i : i + 1]) for i in range(len(c))]).T
    qs = prefilter._query_norms(qt)
    absterm = prefilter.absolute_term(d, qs.norm, float(dn.max()))
    s = (qt @ ct.T).double().numpy()
    r = (qt.to(torch.bfloat16) @ ct.to(torch.bfloat16).T).double().numpy()
    bound = (
        qs.res[:, None] * dn[None, :]
        + qs.rounded[:, None] * rn[None, :]
        + qs.acc * qs.norm[:, None] * dn[None, :]
        + absterm[:, None]
        + prefilter._OUT * np.abs(r)
    )
    assert (np.abs(s - r) <= bound).all()
    worst_case = prefilter.error_coefficient(d) * qs.norm[:, None] * dn[None, :]
    measured = bound - prefilter._OUT * np.abs(r)
    if worst:  # the measured residuals reach the worst case's input term
        assert np.median(measured / worst_case) > 0.9
    else:  # and on ordinary data they are about half of it: the narrower candidate window
        assert np.median(measured / worst_case) < 0.7


def test_residual_norms_match_torch_rounding() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 48)).astype(np.float32) * np.float32(3.0)
    x[0, :4] = [1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, -(1.0 + 2.0**-8), 2.0**-130]  # ties, subnormal
    sq, rsq = prefilter.chunk_square_norms(x, x.view(np.int32))
    xt = torch.from_numpy(x)
    res = xt - xt.to(torch.bfloat16).to(torch.float32)
    np.testing.assert_allclose(float(rsq), float((res.double() ** 2).sum(1).max()), rtol=1e-5)
    np.testing.assert_allclose(float(sq), float((xt.double() ** 2).sum(1).max()), rtol=1e-5)
    x[5, 7] = np.nan
    assert prefilter.chunk_square_norms(x, x.view(np.int32))[0] == np.inf


def test_worst_case_rounding_is_still_bit_identical() -> None:
    rng = np.random.default_rng(9)
    c = _worst_rounding(rng, 2500, 32)
    c[1000:1300] = c[:300]  # duplicates: exact ties
    q = _worst_rounding(rng, 40, 32)
    for k in (1, 20, 64):
        _both(q, c, k)


def aligned_rounding_case() -> tuple[np.ndarray, np.ndarray]:
    """Queries of ones and two documents whose bf16 rounding errors all point one way: A (row
    600) wins in fp32 by ~1, B (row 10) in bf16 by ~2, about 2/3 of the bound's margin (~3).
    A is recorded only if the margin is whole, so a margin cut by half (or a heap bound that
    forgets an earlier chunk's residual) returns B: these inputs are built to catch that."""
    down = np.float32(1 + 2.0**-8 - 2.0**-20)  # rounds down to 1 in bf16
    up = np.float32(1 + 2.0**-8 + 2.0**-20)  # rounds up to 1 + 2**-7
    a = np.concatenate([np.full(200, down), -np.full(184, up)])  # every error negative
    b = np.concatenate([np.full(200, up), -np.full(184, down)])  # every error positive
    b[0] = 1.0  # exact in bf16: B's fp32 score drops below A's, its bf16 score stays above
    rng = np.random.default_rng(10)
    c = (0.01 * rng.standard_normal((1024, 384))).astype(np.float32)
    c[10], c[600] = b, a
    return np.ones((40, 384), np.float32), c


def test_aligned_rounding_errors_need_the_whole_margin() -> None:
    q, c = aligned_rounding_case()
    stats = _both(q, c, 1)
    assert stats["fallback_blocks"] == 0
    want = topk_torch(torch.from_numpy(q), torch.from_numpy(c), 1, corpus_chunk=CHUNK)
    assert int(want[1][0, 0]) == 600
    qb, cb = torch.from_numpy(q).to(torch.bfloat16), torch.from_numpy(c).to(torch.bfloat16)
    assert int((qb[:1] @ cb.T).float().argmax()) == 10  # bf16 alone picks B
