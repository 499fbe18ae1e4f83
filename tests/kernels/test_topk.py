"""Exact top-k kernels against a brute-force numpy reference.

Integer-valued vectors make fp32 scores exact (no rounding-order noise), so indices must agree
exactly, ties included: the reference orders by score desc, then index asc.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ir_harness.kernels import topk as topk_mod  # noqa: E402
from ir_harness.kernels.topk import exact_topk, peak_extra_bytes, topk_faiss, topk_torch  # noqa: E402

HAS_FAISS = topk_mod._has_faiss()
needs_faiss = pytest.mark.skipif(not HAS_FAISS, reason="faiss not installed")
BACKENDS = ["torch", pytest.param("faiss", marks=needs_faiss)]


def reference(q: np.ndarray, c: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Full score matrix in float64, rows ordered by (score desc, index asc), cut at k."""
    scores = q.astype(np.float64) @ c.astype(np.float64).T
    idx = np.broadcast_to(np.arange(c.shape[0]), scores.shape)
    order = np.lexsort((idx, -scores), axis=-1)[:, : min(k, c.shape[0])]
    return np.take_along_axis(scores, order, 1), order


def int_data(nq: int, n: int, d: int, lo: int = -4, hi: int = 5, seed: int = 0):
    """Small integers: exact fp32 dot products and plenty of equal scores."""
    rng = np.random.default_rng(seed)
    q = rng.integers(lo, hi, (nq, d)).astype(np.float32)
    c = rng.integers(lo, hi, (n, d)).astype(np.float32)
    return q, c


def run_torch(q, c, k, **kw):
    s, i = topk_torch(torch.from_numpy(q), torch.from_numpy(c), k, **kw)
    return s.numpy(), i.numpy()


@pytest.fixture(params=[False, True], ids=["topk-merge", "threshold-merge"])
def merge(request) -> bool:
    """Both merges of later chunks: topk (the CPU default) and threshold (the CUDA default)."""
    return request.param


@pytest.mark.parametrize(
    ("nq", "n", "k", "chunk", "qblock"),
    [
        (5, 3, 10, 16, 4),  # N < k
        (7, 100, 1, 16, 4),  # k = 1
        (9, 101, 10, 16, 4),  # N not a multiple of the chunk, nq not of the query block
        (8, 64, 10, 16, 4),  # exact multiples of both
        (3, 50, 50, 7, 2),  # k = N with tiny chunks (chunk < k)
        (33, 1000, 20, 128, 32),  # one query past a block boundary
        (1, 17, 16, 16, 1),  # chunk of one row at the end
    ],
)
def test_torch_matches_reference_with_ties(nq, n, k, chunk, qblock, merge):
    q, c = int_data(nq, n, 6)
    ref_s, ref_i = reference(q, c, k)
    s, i = run_torch(q, c, k, corpus_chunk=chunk, query_block=qblock, use_threshold=merge)
    assert s.shape == i.shape == (nq, min(k, n))
    assert s.dtype == np.float32 and i.dtype == np.int64
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_array_equal(s, ref_s.astype(np.float32))


def test_distinct_scores_give_identical_indices_across_backends():
    # Distinct exact scores: a permutation along one axis dominates the dot product.
    rng = np.random.default_rng(1)
    n, d = 3000, 8
    c = rng.integers(-2, 3, (n, d)).astype(np.float32)
    c[:, 0] = rng.permutation(n) * 16
    q = rng.integers(-1, 2, (12, d)).astype(np.float32)
    q[:, 0] = rng.choice([-1.0, 1.0], 12)
    ref_s, ref_i = reference(q, c, 50)
    assert (np.diff(ref_s, axis=1) < 0).all(), "fixture must have distinct scores"
    for backend in ["torch", "faiss"] if HAS_FAISS else ["torch"]:
        s, i = exact_topk(q, c, 50, backend=backend, corpus_chunk=256)
        np.testing.assert_array_equal(i, ref_i, err_msg=backend)
        np.testing.assert_array_equal(s, ref_s.astype(np.float32), err_msg=backend)


def test_float_data_agrees_with_reference_up_to_rounding(merge):
    rng = np.random.default_rng(2)
    q = rng.standard_normal((20, 32)).astype(np.float32)
    c = rng.standard_normal((777, 32)).astype(np.float32)
    ref_s, ref_i = reference(q, c, 25)
    s, i = run_torch(q, c, 25, corpus_chunk=100, query_block=8, use_threshold=merge)
    np.testing.assert_allclose(s, ref_s, rtol=1e-5, atol=1e-5)
    # Rounding may swap near-equal neighbours, so check that each index carries its score.
    full = q.astype(np.float64) @ c.astype(np.float64).T
    np.testing.assert_allclose(np.take_along_axis(full, i, 1), s, rtol=1e-5, atol=1e-5)
    assert all(len(set(row)) == len(row) for row in i)
    assert (np.mean(i == ref_i)) > 0.99


def test_all_equal_scores_keep_lowest_indices_in_order(merge):
    # Ties straddle every chunk boundary: the stable-repair path must keep 0..k-1 in order.
    q = np.ones((3, 4), np.float32)
    c = np.ones((1000, 4), np.float32)
    s, i = run_torch(q, c, 10, corpus_chunk=64, query_block=2, use_threshold=merge)
    np.testing.assert_array_equal(i, np.tile(np.arange(10), (3, 1)))
    assert (s == 4.0).all()


def test_ties_across_chunks_prefer_the_earlier_chunk(merge):
    # The best score appears once per chunk: the merge must keep the earliest occurrences.
    c = np.zeros((100, 2), np.float32)
    c[::10, 0] = 1.0  # rows 0, 10, 20, ... score 1, in different chunks of 16
    q = np.array([[1.0, 0.0]], np.float32)
    _, i = run_torch(q, c, 3, corpus_chunk=16, use_threshold=merge)
    np.testing.assert_array_equal(i, [[0, 10, 20]])


def test_increasing_scores_take_the_topk_merge_every_chunk(merge):
    # Each chunk beats everything held so far: the threshold merge must hand over to topk.
    n = 500
    c = np.stack([np.arange(n, dtype=np.float32), np.zeros(n, np.float32)], axis=1)
    q = np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)
    s, i = run_torch(q, c, 5, corpus_chunk=32, use_threshold=merge)
    np.testing.assert_array_equal(i, [[499, 498, 497, 496, 495], [0, 1, 2, 3, 4]])
    np.testing.assert_array_equal(s[0], [499, 498, 497, 496, 495])


def test_later_chunks_use_the_threshold_merge(monkeypatch):
    # Random order: only the first chunk should need a full topk over the score block.
    calls = []
    real = topk_mod._chunk_topk
    monkeypatch.setattr(topk_mod, "_chunk_topk", lambda b, *a: calls.append(b.shape) or real(b, *a))
    q, c = int_data(16, 4000, 16, lo=-50, hi=51, seed=9)
    _, i = run_torch(q, c, 10, corpus_chunk=500, query_block=8, use_threshold=True)
    np.testing.assert_array_equal(i, reference(q, c, 10)[1])
    assert calls == [(8, 500), (8, 500)]  # one per query block


def test_threshold_merge_takes_only_strictly_better_rows(merge):
    # After the first chunk holds k rows of score 2, later rows scoring 2 must not enter
    # (higher index), rows scoring 3 must, whatever chunk they sit in.
    c = np.full((200, 1), 2.0, np.float32)
    c[[50, 120, 199]] = 3.0
    s, i = run_torch(np.ones((1, 1), np.float32), c, 6, corpus_chunk=40, use_threshold=merge)
    np.testing.assert_array_equal(i, [[50, 120, 199, 0, 1, 2]])
    np.testing.assert_array_equal(s, [[3, 3, 3, 2, 2, 2]])


def test_negative_zero_and_negative_scores_order(merge):
    c = np.array([[-0.0], [0.0], [-1.0], [-2.0], [3.0]], np.float32)
    q = np.array([[1.0]], np.float32)
    s, i = run_torch(q, c, 5, corpus_chunk=2, use_threshold=merge)
    np.testing.assert_array_equal(i, [[4, 0, 1, 2, 3]])  # -0.0 == 0.0: index order decides
    np.testing.assert_array_equal(s, [[3.0, 0.0, 0.0, -1.0, -2.0]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_match_reference(backend):
    q, c = int_data(11, 500, 16, seed=3)
    ref_s, ref_i = reference(q, c, 30)
    s, i = exact_topk(q, c, 30, backend=backend, corpus_chunk=64)
    np.testing.assert_array_equal(s, ref_s.astype(np.float32))
    if backend == "torch":
        np.testing.assert_array_equal(i, ref_i)
    else:
        # FAISS: which row among those tied at the k-th place it keeps is unspecified (it may
        # keep a higher index); above that score the sets agree and the order is ours.
        full = q @ c.T
        np.testing.assert_array_equal(np.take_along_axis(full, i, 1), s)
        for r in range(len(q)):
            above = ref_s[r] > ref_s[r, -1]
            np.testing.assert_array_equal(i[r][above], ref_i[r][above])
            tied = i[r][~above]
            assert list(tied) == sorted(set(tied)), "equal scores must list lower index first"


@needs_faiss
def test_faiss_equal_scores_are_listed_lower_index_first():
    # Raw faiss.knn lists these 4 equal scores as [3, 2, 1, 0]; topk_faiss re-sorts them.
    s, i = topk_faiss(np.ones((1, 4), np.float32), np.ones((4, 4), np.float32), 4)
    np.testing.assert_array_equal(i, [[0, 1, 2, 3]])
    assert (s == 4.0).all()


@pytest.mark.parametrize("backend", ["auto", *BACKENDS])
def test_empty_inputs(backend):
    q, c = int_data(4, 10, 3)
    for qq, cc, k in [(q[:0], c, 5), (q, c[:0], 5), (q, c, 0)]:
        s, i = exact_topk(qq, cc, k, backend=backend)
        assert s.shape == i.shape == (qq.shape[0], 0)
        assert s.dtype == np.float32 and i.dtype == np.int64


def test_topk_torch_empty_tensors():
    s, i = topk_torch(torch.zeros((0, 4)), torch.zeros((5, 4)), 3)
    assert s.shape == i.shape == (0, 3)
    s, i = topk_torch(torch.zeros((2, 4)), torch.zeros((0, 4)), 3)
    assert s.shape == i.shape == (2, 0)


@pytest.mark.parametrize("backend", ["auto", *BACKENDS])
def test_float64_and_non_contiguous_inputs(backend):
    q, c = int_data(6, 300, 8, seed=4)
    ref_s, ref_i = reference(q, c, 12)
    wide_c = np.zeros((300, 16), np.float64)
    wide_c[:, ::2] = c  # strided float64 view
    reversed_q = np.ascontiguousarray(q[::-1]).astype(np.float64)[::-1]  # negative stride
    s, i = exact_topk(reversed_q, wide_c[:, ::2], 12, backend=backend, corpus_chunk=50)
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s, ref_s.astype(np.float32))
    if backend == "torch":
        np.testing.assert_array_equal(i, ref_i)


def test_torch_accepts_float64_and_float16_tensors():
    q, c = int_data(5, 200, 8, seed=5)
    ref_s, ref_i = reference(q, c, 7)
    for dt in (torch.float64, torch.float16):
        s, i = topk_torch(
            torch.from_numpy(q).to(dt), torch.from_numpy(c).to(dt), 7, corpus_chunk=32
        )
        assert s.dtype == torch.float32
        np.testing.assert_array_equal(i.numpy(), ref_i)


def test_auto_dispatch(monkeypatch):
    """auto: torch wherever it is installed (faster than FAISS on CPU too), else FAISS."""
    calls: list[str] = []
    real_faiss, real_torch = topk_mod.topk_faiss, topk_mod.topk_torch
    monkeypatch.setattr(
        topk_mod, "topk_faiss", lambda *a, **k: calls.append("faiss") or real_faiss(*a, **k)
    )
    monkeypatch.setattr(
        topk_mod, "topk_torch", lambda *a, **k: calls.append("torch") or real_torch(*a, **k)
    )
    q, c = int_data(2, 50, 4)

    exact_topk(q, c, 3)
    assert calls.pop() == "torch"
    if HAS_FAISS:
        exact_topk(q, c, 3, backend="faiss")
        assert calls.pop() == "faiss"
        monkeypatch.setattr(topk_mod, "_has", lambda m: m != "torch")
        exact_topk(q, c, 3)
        assert calls.pop() == "faiss"


def test_precision_half_needs_cuda():
    with pytest.raises(ValueError, match="CUDA"):
        topk_torch(torch.ones((1, 2)), torch.ones((3, 2)), 1, precision="bf16")


def test_score_block_never_exceeds_query_block_by_chunk(monkeypatch, merge):
    """Structural memory bound: every matmul output and every topk input is at most one block.

    Spies on the two ops that could materialise a large buffer; a Q x N regression (one big
    matmul, or a concatenation of chunk scores before topk) fails here.
    """
    qb, chunk = 8, 64
    seen: list[tuple[int, ...]] = []
    real_topk, real_matmul = torch.topk, torch.Tensor.__matmul__

    def spy_topk(x, *a, **kw):
        seen.append(tuple(x.shape))
        return real_topk(x, *a, **kw)

    def spy_matmul(self, other):
        out = real_matmul(self, other)
        seen.append(tuple(out.shape))
        return out

    monkeypatch.setattr(torch, "topk", spy_topk)
    monkeypatch.setattr(torch.Tensor, "__matmul__", spy_matmul)
    q, c = int_data(50, 1000, 8, seed=6)
    s, i = run_torch(q, c, 5, corpus_chunk=chunk, query_block=qb, use_threshold=merge)
    np.testing.assert_array_equal(i, reference(q, c, 5)[1])
    assert seen, "spies saw nothing: the kernel changed how it multiplies"
    # Score blocks are qb x chunk; merge candidates are qb x (k + a fixed number of slots).
    widest = max(chunk, 5 + topk_mod._width(5))
    assert all(r <= qb and cols <= widest for r, cols in seen), seen
    assert (qb, chunk) in seen


def test_peak_extra_bytes_default_under_128mb():
    assert peak_extra_bytes() < 128 * 10**6
    # The bound grows with the block, not with the corpus or the query count.
    assert peak_extra_bytes(1024, 32768) > peak_extra_bytes(1024, 16384)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
@pytest.mark.parametrize("precision", ["fp32", "tf32", "bf16", "fp16"])
def test_cuda_matches_cpu(precision):
    q, c = int_data(40, 5000, 16, seed=7)  # small ints are exact in fp16/bf16 too
    ref_s, ref_i = reference(q, c, 50)
    qt, ct = torch.from_numpy(q).cuda(), torch.from_numpy(c).cuda()
    s, i = topk_torch(qt, ct, 50, corpus_chunk=512, query_block=16, precision=precision)
    np.testing.assert_array_equal(i.cpu().numpy(), ref_i)
    np.testing.assert_array_equal(s.cpu().numpy(), ref_s.astype(np.float32))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_cuda_exact_topk_dispatch():
    q, c = int_data(9, 700, 8, seed=8)
    s, i = exact_topk(q, c, 20, device="cuda", corpus_chunk=100)
    np.testing.assert_array_equal(i, reference(q, c, 20)[1])


# ---------------------------------------------------------------- CPU group pre-filter (default)


@pytest.mark.parametrize(
    ("nq", "n", "k", "chunk", "qblock"),
    [
        (9, 3000, 10, 256, 4),  # groups of 64 divide the chunk
        (9, 3001, 10, 300, 4),  # a tail of 44 columns in every chunk, a short last chunk
        (33, 5000, 50, 512, 32),  # one query past a block boundary
        (5, 2000, 1, 256, 8),  # k = 1
    ],
)
def test_prefilter_matches_reference_with_ties(nq, n, k, chunk, qblock):
    q, c = int_data(nq, n, 6)  # scores in a narrow integer range: ties everywhere
    ref_s, ref_i = reference(q, c, k)
    s, i = run_torch(q, c, k, corpus_chunk=chunk, query_block=qblock)
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_array_equal(s, ref_s.astype(np.float32))


def test_prefilter_all_equal_and_cross_chunk_ties_keep_lowest_indices():
    q = np.ones((3, 4), np.float32)
    _, i = run_torch(q, np.ones((3000, 4), np.float32), 10, corpus_chunk=256, query_block=2)
    np.testing.assert_array_equal(i, np.tile(np.arange(10), (3, 1)))
    c = np.zeros((3000, 2), np.float32)
    c[::300, 0] = 1.0  # the best score once per chunk of 256 or so
    _, i = run_torch(np.array([[1.0, 0.0]], np.float32), c, 3, corpus_chunk=256)
    np.testing.assert_array_equal(i, [[0, 300, 600]])


def test_prefilter_skips_chunks_and_sends_crowded_rows_to_full_selection(monkeypatch):
    """Random rows need a full selection only in the first chunks; a row whose scores keep
    rising (every later chunk beats it) takes the full selection alone, and stays exact."""
    calls = []
    real = topk_mod._chunk_topk
    monkeypatch.setattr(topk_mod, "_chunk_topk", lambda b, *a: calls.append(b.shape) or real(b, *a))
    q, c = int_data(16, 20000, 16, lo=-50, hi=51, seed=9)
    c[:, 0] = np.arange(20000) / 100  # query 0 (weight set below) prefers ever later rows
    q[0] = 0
    q[0, 0] = 1
    s, i = run_torch(q, c, 10, corpus_chunk=1024, query_block=16, cpu_merge="prefilter")
    np.testing.assert_array_equal(i, reference(q, c, 10)[1])
    assert calls[0] == (16, 1024)  # the first chunk: every row
    whole = [shape for shape in calls if shape[0] == 16]
    assert len(whole) <= 6 < len(calls)  # 20 chunks: most later ones skip the full selection
    assert calls[-1][0] < 4  # ... except for row 0 (and perhaps an unlucky random row)


# The fused numba selection (the CPU default), against the same reference.
FUSED_CASES = [
    (5, 3, 10, 16, 4),  # N < k
    (7, 100, 1, 16, 4),  # k = 1
    (9, 101, 10, 16, 4),  # N not a multiple of the chunk, nq not of the query block
    (3, 50, 50, 7, 2),  # k = N with tiny chunks (chunk < k)
    (33, 1000, 20, 128, 32),  # one query past a block boundary
    (9, 3001, 10, 300, 4),  # groups of 32 do not divide the chunk
    (33, 5000, 50, 512, 32),
]


@pytest.mark.parametrize(("nq", "n", "k", "chunk", "qblock"), FUSED_CASES)
@pytest.mark.parametrize("cpu_merge", ["fused", "prefilter"])
def test_cpu_merges_match_reference_with_ties(nq, n, k, chunk, qblock, cpu_merge):
    q, c = int_data(nq, n, 6)
    ref_s, ref_i = reference(q, c, k)
    kw = {"corpus_chunk": chunk, "query_block": qblock, "cpu_merge": cpu_merge}
    s, i = run_torch(q, c, k, **kw)
    np.testing.assert_array_equal(i, ref_i)
    np.testing.assert_array_equal(s, ref_s.astype(np.float32))


def test_fused_selection_runs_by_default_on_cpu(monkeypatch):
    import ir_harness.kernels.topk_select as sel

    calls = []
    real = sel.select_block
    monkeypatch.setattr(sel, "select_block", lambda *a: calls.append(a[0].shape) or real(*a))
    q, c = int_data(6, 700, 6)
    _, i = run_torch(q, c, 5, corpus_chunk=128, query_block=4)
    np.testing.assert_array_equal(i, reference(q, c, 5)[1])
    assert calls and all(r <= 4 and cols <= 128 for r, cols in calls)  # one block at a time


def test_fused_matches_topk_merge_on_nan_and_signed_zero():
    """NaN ranks above +inf and -0.0 ties with 0.0 (lower index first), as in the key merge.

    One NaN only: ``torch.topk`` orders several NaNs arbitrarily, so the old path is no
    reference for NaN ties.
    """
    c = np.array([[0.0], [-0.0], [1.0], [-0.0], [np.inf], [0.0], [-5.0], [2.0]], np.float32)
    c = np.tile(c, (9, 1))  # several chunks and groups
    c[30] = np.nan
    q = np.ones((2, 1), np.float32)
    q[1] = -1
    for k in (3, 12, 30):
        want = run_torch(q, c, k, corpus_chunk=10, use_threshold=False)
        got = run_torch(q, c, k, corpus_chunk=10)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[0], want[0])
