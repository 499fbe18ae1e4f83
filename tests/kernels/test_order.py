"""One NaN/inf rule for every top-k path (kernels/order.py), checked against a plain sort.

Seeded random loops (hypothesis is not installed): score matrices with injected +inf, -inf,
positive and negative-sign NaN (``0xFFC00000``, what ``0 * inf`` gives), all-NaN rows, signed
zeros and equal scores; k < n, k = n, k > n. Every path must return the (index, score) lists of
:func:`ir_harness.kernels.order.reference_topk`, bit for bit.

Scores reach the kernels through a real matrix product: with one dimension (``q * c``, a single
rounded multiply) the product is the injected value itself; with small integer vectors holding
injected infinities and NaNs every sum is exact, so any summation order gives the same value up
to the NaN's sign, which the rule canonicalises.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ir_harness.data.model import ranked  # noqa: E402
from ir_harness.kernels.order import canonical, rank_rows, reference_topk, score_keys  # noqa: E402
from ir_harness.kernels.stream import merge_topk, stream_topk  # noqa: E402
from ir_harness.kernels.topk import exact_topk, topk_torch  # noqa: E402

NEG_NAN = np.array([0xFFC00000], np.uint32).view(np.float32)[0]
POS_NAN = np.array([0x7FC00001], np.uint32).view(np.float32)[0]
SPECIALS = np.array([np.inf, -np.inf, NEG_NAN, POS_NAN, -0.0, 0.0], np.float32)


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def _inject(rng: np.random.Generator, s: np.ndarray) -> np.ndarray:
    """Specials at random places, an all-NaN row, runs of equal scores."""
    s = s.copy()
    mask = rng.random(s.shape) < rng.choice([0.0, 0.05, 0.3])
    s[mask] = rng.choice(SPECIALS, int(mask.sum()))
    if s.shape[0] > 1:
        s[rng.integers(s.shape[0])] = rng.choice([NEG_NAN, POS_NAN])
    if s.shape[1] > 4:
        a = int(rng.integers(s.shape[1] - 3))
        s[:, a : a + 3] = s[:, a : a + 1]
    return s


def _one_dim(rng: np.random.Generator, nq: int, n: int):
    """(queries, corpus, exact score matrix): d = 1, so each score is one rounded multiply."""
    c = rng.choice([rng.standard_normal(n), rng.integers(-3, 4, n).astype(float)])
    c = _inject(rng, c.astype(np.float32)[None, :])[0][:, None]
    q = rng.choice(np.array([1.0, -1.0, 2.0, 0.5, 0.0, -0.0], np.float32), (nq, 1))
    with np.errstate(all="ignore"):
        scores = q * c[:, 0][None, :]
    return q.astype(np.float32), np.ascontiguousarray(c, np.float32), scores.astype(np.float32)


def _assert_same(got: tuple, want: tuple) -> None:
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(_bits(got[0]), _bits(want[0]))


def _cases(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        nq = int(rng.integers(1, 6))
        n = int(rng.choice([1, 5, 63, 64, 65, 200, 700]))
        k = int(rng.choice([1, 3, n, n + 5, max(1, n // 2)]))
        yield rng, nq, n, k


def test_keys_follow_the_rule() -> None:
    vals = np.array([np.inf, 1.0, 0.0, -0.0, -1.0, -np.inf, NEG_NAN, POS_NAN], np.float32)
    keys = score_keys(vals)
    assert keys[0] > keys[1] > keys[2] == keys[3] > keys[4] > keys[5] > keys[6] == keys[7]
    assert list(_bits(canonical(vals))[[3, 6, 7]]) == [0, 0x7FC00000, 0x7FC00000]


def test_a_negative_nan_row_does_not_freeze() -> None:
    """The reported bug: 0xFFC00000 first in a row kept the first k columns forever."""
    c = np.array([[NEG_NAN]] + [[float(v)] for v in range(1, 200)], np.float32)
    q = np.ones((1, 1), np.float32)
    s, i = exact_topk(q, c, 3, corpus_chunk=16)
    assert list(i[0]) == [199, 198, 197] and list(s[0]) == [199.0, 198.0, 197.0]


@pytest.mark.parametrize("seed", range(4))
def test_every_cpu_path_equals_the_reference_sort(seed: int) -> None:
    for rng, nq, n, k in _cases(seed, 12):
        q, c, scores = _one_dim(rng, nq, n)
        want = reference_topk(scores, k)
        chunk = int(rng.choice([16, 64, 100]))
        _assert_same(exact_topk(q, c, k, corpus_chunk=chunk), want)
        qt, ct = torch.from_numpy(q), torch.from_numpy(c)
        for kw in (
            {"use_threshold": False},
            {"use_threshold": True},
            {"cpu_merge": "prefilter"},
            {},
        ):
            s, i = topk_torch(qt, ct, k, corpus_chunk=chunk, query_block=2, **kw)
            _assert_same((s.numpy(), i.numpy()), want)
        shards = [(a, c[a : a + 3 * chunk]) for a in range(0, n, 3 * chunk)]
        _assert_same(stream_topk(q, shards, k, corpus_chunk=chunk), want)
        idx = np.broadcast_to(np.arange(n), scores.shape)
        _assert_same(rank_rows(scores, idx, k), want)
        cut = int(rng.integers(0, n + 1))
        a = rank_rows(scores[:, :cut], idx[:, :cut], k)
        b = rank_rows(scores[:, cut:], idx[:, cut:], k)
        _assert_same(merge_topk(b, a, k), want)  # merge order does not matter


@pytest.mark.parametrize("seed", range(3))
def test_products_with_inf_and_nan_inputs(seed: int) -> None:
    """d > 1: integer vectors with injected inf/NaN components (exact in any summation order)."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(6):
        nq, n, d = int(rng.integers(1, 5)), int(rng.choice([50, 300])), 4
        q = rng.integers(-3, 4, (nq, d)).astype(np.float32)
        c = rng.integers(-3, 4, (n, d)).astype(np.float32)
        c[rng.random(c.shape) < 0.02] = rng.choice(SPECIALS[:4])
        q[rng.random(q.shape) < 0.05] = rng.choice([np.inf, -np.inf])
        q[0] = 0.0  # 0 * inf: negative-sign NaN scores
        with np.errstate(all="ignore"):
            scores = (q.astype(np.float64) @ c.astype(np.float64).T).astype(np.float32)
        k = int(rng.choice([1, 10, n, n + 3]))
        want = reference_topk(scores, k)
        for chunk in (16, 64):
            _assert_same(exact_topk(q, c, k, corpus_chunk=chunk), want)
            s, i = topk_torch(
                torch.from_numpy(q), torch.from_numpy(c), k, corpus_chunk=chunk, use_threshold=True
            )
            _assert_same((s.numpy(), i.numpy()), want)


def test_reranker_sort_follows_the_rule() -> None:
    """ir_harness.data.model.ranked: NaN last, -0.0 = +0.0, equal scores by doc id desc (trec_eval)."""
    docs = {"a": float("nan"), "b": float(NEG_NAN), "c": -float("inf"), "d": 0.0, "e": -0.0}
    docs |= {"f": 1.0, "g": 1.0, "h": float("inf")}
    assert [d for d, _ in ranked(docs)] == ["h", "g", "f", "e", "d", "c", "b", "a"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_paths_equal_the_reference_sort() -> None:
    for rng, nq, n, k in _cases(7, 10):
        q, c, scores = _one_dim(rng, nq, n)
        want = reference_topk(scores, k)
        for thr in (None, False):
            s, i = topk_torch(
                torch.from_numpy(q).cuda(),
                torch.from_numpy(c).cuda(),
                k,
                corpus_chunk=64,
                use_threshold=thr,
            )
            _assert_same((s.cpu().numpy(), i.cpu().numpy()), want)
