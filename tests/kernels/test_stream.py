"""Streaming top-k over shards returns exactly the in-memory kernel's result."""

from __future__ import annotations

import numpy as np
import pytest

from ir_harness.kernels.order import reference_topk
from ir_harness.kernels.stream import aligned_chunks, merge_topk, stream_topk
from ir_harness.kernels.topk import exact_topk


def _shards(c: np.ndarray, rows: int) -> list[tuple[int, np.ndarray]]:
    return [(s, c[s : s + rows]) for s in range(0, len(c), rows)]


@pytest.mark.parametrize("rows", [7, 100, 1000, 4096])
def test_stream_equals_in_memory(rows: int) -> None:
    rng = np.random.default_rng(0)
    c = rng.standard_normal((3000, 32)).astype(np.float32)
    c[1500:1600] = c[10]  # exact ties spread over shards: the lowest index must win
    q = rng.standard_normal((50, 32)).astype(np.float32)
    q[0] = c[10]
    want = exact_topk(q, c, 25)
    got = stream_topk(q, _shards(c, rows), 25)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[1][0, 0] == 10 and list(got[1][0, 1:5]) == [1500, 1501, 1502, 1503]


def test_k_larger_than_corpus_and_merge_order() -> None:
    c = np.eye(4, dtype=np.float32)
    s, i = stream_topk(np.ones((1, 4), np.float32), _shards(c, 3), 10)
    assert s.shape == (1, 4) and list(i[0]) == [0, 1, 2, 3]
    a = (np.array([[1.0, 0.5]], np.float32), np.array([[4, 2]]))
    b = (np.array([[1.0, 0.7]], np.float32), np.array([[3, 9]]))
    s, i = merge_topk(a, b, 3)
    assert list(i[0]) == [3, 4, 9]


@pytest.mark.parametrize("rows", [7, 256, 300, 1024])
def test_many_chunks_equal_in_memory(rows: int) -> None:
    rng = np.random.default_rng(1)
    c = rng.standard_normal((2000, 16)).astype(np.float32)
    q = rng.standard_normal((9, 16)).astype(np.float32)
    want = exact_topk(q, c, 40, corpus_chunk=256)
    got = stream_topk(q, _shards(c, rows), 40, corpus_chunk=256)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_aligned_chunks_cut_at_chunk_multiples() -> None:
    c = np.arange(10, dtype=np.float32).reshape(10, 1)
    pieces = list(aligned_chunks(_shards(c, 3), 4))
    assert [(o, list(p[:, 0])) for o, p in pieces] == [
        (0, [0, 1, 2, 3]),
        (4, [4, 5, 6, 7]),
        (8, [8, 9]),
    ]
    big = list(aligned_chunks(_shards(c, 9), 4))  # whole chunks of one shard: one piece
    assert [(o, list(p[:, 0])) for o, p in big] == [(0, list(range(8))), (8, [8, 9])]
    with pytest.raises(ValueError, match="not consecutive"):
        list(aligned_chunks([(0, c[:3]), (5, c[5:])], 4))


# The fused CPU stream carries each query's heap from piece to piece: a later piece starts
# from the running k-th score (the floor). Scores below come from d = 1 products (one rounded
# multiply each), so the plain-sort reference of the whole matrix is exact.

NAN = np.float32(np.nan)
NEG_NAN = np.array([0xFFC00000], np.uint32).view(np.float32)[0]


def _one_dim(c: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = np.asarray(c, np.float32)[:, None]
    q = np.asarray(q, np.float32)[:, None]
    with np.errstate(all="ignore"):
        scores = (q * c[:, 0][None, :]).astype(np.float32)
    return q, c, scores


def _same_as_reference(q, c, scores, k: int, rows: int, chunk: int) -> None:  # type: ignore[no-untyped-def]
    want = reference_topk(scores, k)
    got = stream_topk(q, _shards(c, rows), k, corpus_chunk=chunk)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))
    mem = exact_topk(q, c, k, corpus_chunk=chunk)
    np.testing.assert_array_equal(got[1], mem[1])
    np.testing.assert_array_equal(got[0].view(np.uint32), mem[0].view(np.uint32))


@pytest.mark.parametrize("rows", [4, 8, 12, 40])
def test_ties_exactly_at_the_floor_keep_the_lowest_indices(rows: int) -> None:
    """Every later piece repeats the k-th score: none of them may enter (higher index)."""
    c = np.tile(np.array([3.0, 2.0, 1.0, 2.0], np.float32), 20)  # 80 rows, 2.0 at 1, 3, 5, ...
    q, c, scores = _one_dim(c, [1.0, -1.0, 0.5])
    for k in (3, 20, 21, 40, 41):  # the floor falls inside runs of equal scores
        _same_as_reference(q, c, scores, k, rows, chunk=4)


@pytest.mark.parametrize("rows", [4, 8, 24])
def test_nan_floor_while_fewer_than_k_numbers_found(rows: int) -> None:
    """The first pieces hold NaNs (and -0.0/inf): while the k-th entry is a NaN, every later
    number enters, NaN or not of either sign; the NaNs come back last by index."""
    c = np.array([NAN, NEG_NAN, NAN, -0.0] * 4 + [1.0, 0.0, -np.inf, np.inf] * 4, np.float32)
    q, c, scores = _one_dim(c, [1.0, -1.0, 0.0, -0.0])
    for k in (2, 5, 13, 16, 20, 32):
        _same_as_reference(q, c, scores, k, rows, chunk=4)


@pytest.mark.parametrize("k", [5, 9, 30, 33, 1000])
def test_k_larger_than_a_shard_and_than_the_corpus(k: int) -> None:
    rng = np.random.default_rng(3)
    c = rng.integers(-2, 3, 33).astype(np.float32)  # many ties
    c[rng.integers(0, 33, 4)] = NAN
    q, c, scores = _one_dim(c, [1.0, -1.0, 2.0])
    for rows in (4, 8, 12):  # shards of whole chunks, pieces straddling shards
        _same_as_reference(q, c, scores, k, rows, chunk=4)


def test_random_specials_against_the_reference() -> None:
    rng = np.random.default_rng(4)
    specials = np.array([np.inf, -np.inf, NAN, NEG_NAN, -0.0, 0.0], np.float32)
    for _ in range(30):
        n = int(rng.choice([5, 16, 17, 63, 100]))
        c = rng.choice([rng.standard_normal(n), rng.integers(-3, 4, n)]).astype(np.float32)
        mask = rng.random(n) < rng.choice([0.0, 0.2, 0.6])
        c[mask] = rng.choice(specials, int(mask.sum()))
        q, c, scores = _one_dim(c, rng.choice([1.0, -1.0, 0.0, 0.5], int(rng.integers(1, 5))))
        chunk = int(rng.choice([4, 8, 16]))
        rows = int(rng.choice([1, 3, chunk, 2 * chunk + 1]))
        k = int(rng.choice([1, 3, n // 2 + 1, n, n + 7]))
        _same_as_reference(q, c, scores, k, rows, chunk)


def test_a_run_may_start_mid_corpus_and_many_query_blocks() -> None:
    """A group of shards (Ray) starts at a chunk multiple; 1,100 queries span two blocks."""
    rng = np.random.default_rng(5)
    c = rng.standard_normal((600, 8)).astype(np.float32)
    q = rng.standard_normal((1100, 8)).astype(np.float32)
    want = exact_topk(q, c[128:], 7, corpus_chunk=64)
    got = stream_topk(q, _shards(c, 128)[1:], 7, corpus_chunk=64)
    np.testing.assert_array_equal(got[1], want[1] + 128)
    np.testing.assert_array_equal(got[0], want[0])
    with pytest.raises(ValueError, match="not a multiple"):
        stream_topk(q, [(100, c[100:])], 7, corpus_chunk=64)


def test_the_cpu_stream_carries_its_heaps_instead_of_merging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One resumed selection over every piece: no per-piece kernel call, no merge."""
    from ir_harness.kernels import stream

    def fail(*a: object, **kw: object) -> None:
        raise AssertionError("per-piece call")

    rng = np.random.default_rng(6)
    c = rng.standard_normal((500, 8)).astype(np.float32)
    q = rng.standard_normal((5, 8)).astype(np.float32)
    want = exact_topk(q, c, 30, corpus_chunk=64)
    monkeypatch.setattr(stream, "merge_topk", fail)
    monkeypatch.setattr(stream, "exact_topk", fail)
    got = stream_topk(q, _shards(c, 100), 30, corpus_chunk=64)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])


def test_the_merging_fallback_equals_the_fused_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the fused selection (CUDA, no numba) pieces are merged: the same result."""
    from ir_harness.kernels import stream

    rng = np.random.default_rng(7)
    c = rng.integers(-2, 3, (300, 4)).astype(np.float32)
    q = rng.integers(-2, 3, (6, 4)).astype(np.float32)
    fused = stream_topk(q, _shards(c, 50), 40, corpus_chunk=32)
    monkeypatch.setattr(stream, "_fused", lambda device: False)
    merged = stream_topk(q, _shards(c, 50), 40, corpus_chunk=32)
    np.testing.assert_array_equal(fused[1], merged[1])
    np.testing.assert_array_equal(fused[0].view(np.uint32), merged[0].view(np.uint32))


def test_memory_mapped_shards_staged_equal_in_memory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Memory-mapped pieces are copied chunk by chunk into one buffer: the same bits."""
    rng = np.random.default_rng(8)
    c = rng.standard_normal((700, 16)).astype(np.float32)
    c[400:450] = c[3]  # ties across shards
    q = rng.standard_normal((20, 16)).astype(np.float32)
    q[0] = c[3]
    shards = []
    for a in range(0, 700, 192):
        np.save(tmp_path / f"{a}.npy", c[a : a + 192])
        shards.append((a, np.load(tmp_path / f"{a}.npy", mmap_mode="r")))
    for k in (1, 60, 700, 800):
        want = exact_topk(q, c, k, corpus_chunk=64)
        got = stream_topk(q, shards, k, corpus_chunk=64)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))


def _bits_equal(got: tuple, want: tuple) -> None:  # type: ignore[type-arg]
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(
        np.asarray(got[0]).view(np.uint32), np.asarray(want[0]).view(np.uint32)
    )


def _fp32(q: np.ndarray, c: np.ndarray, k: int, chunk: int) -> tuple:  # type: ignore[type-arg]
    return exact_topk(q, c, k, corpus_chunk=chunk, bf16_prefilter=False)


@pytest.mark.parametrize("seed", range(6))
def test_prefiltered_stream_equals_the_fp32_path(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bf16 prefilter over shards (forced on: any CPU) gives the fp32 in-memory bits, for
    shard sizes that straddle chunks, ties, NaN, inf and huge rows, k above a shard, several
    query blocks, and with the records compacted after every chunk. (Only the query blocks
    must match: BLAS rounds a 6-row block unlike a 70-row one.)"""
    pytest.importorskip("numba")
    from ir_harness.kernels import prefilter_select

    rng = np.random.default_rng(100 + seed)
    n, d, chunk = int(rng.integers(1100, 2600)), int(rng.choice([8, 16, 48])), 256
    c = rng.standard_normal((n, d)).astype(np.float32)
    c[rng.integers(0, n, n // 10)] = c[rng.integers(0, n, 1)]  # exact ties across shards
    if seed % 2:
        c[rng.integers(0, n, 3)] = np.inf
        c[rng.integers(0, n, 2), 0] = np.nan
        with np.errstate(over="ignore"):
            c[300:340] *= np.float32(1e31)
    q = rng.standard_normal((int(rng.choice([33, 40, 70])), d)).astype(np.float32)
    q[0] = c[5]
    if seed == 3:
        q[1, 2] = np.inf  # its block goes the fp32 way
    if seed >= 4:
        monkeypatch.setattr(prefilter_select, "_COMPACT", 0)
    for k in (1, 17, int(rng.integers(200, 400))):
        want = _fp32(q, c, k, chunk)
        for rows in (int(rng.integers(100, 700)), 512):
            got = stream_topk(q, _shards(c, rows), k, corpus_chunk=chunk, bf16_prefilter=True)
            _bits_equal(got, want)
    # several query blocks (of 32: the fp32 path with the same blocks), pieces of 2 chunks
    torch = pytest.importorskip("torch")
    from ir_harness.kernels.topk import topk_torch

    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    want_t = topk_torch(qt, ct, 9, corpus_chunk=chunk, query_block=32, bf16_prefilter=False)
    run = prefilter_select.PrefilterTopk(qt, 9, chunk, 32)
    for a in range(0, n, 2 * chunk):
        run.add(a, ct[a : a + 2 * chunk])
    got_t = run.result(lambda r: ct[torch.from_numpy(r)])
    _bits_equal((got_t[0].numpy(), got_t[1].numpy()), (want_t[0].numpy(), want_t[1].numpy()))


def test_the_stream_runs_the_prefilter_where_memory_does(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """Forced on over memory-mapped shards it re-reads candidates from the maps; forced off it
    never builds the prefilter; both give the fp32 bits."""
    pytest.importorskip("numba")
    from ir_harness.kernels import prefilter_select

    rng = np.random.default_rng(9)
    c = rng.standard_normal((1500, 16)).astype(np.float32)
    q = rng.standard_normal((40, 16)).astype(np.float32)
    shards = []
    for a in range(0, 1500, 384):
        np.save(tmp_path / f"{a}.npy", c[a : a + 384])
        shards.append((a, np.load(tmp_path / f"{a}.npy", mmap_mode="r")))
    built = []
    real = prefilter_select.PrefilterTopk

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *a: object, **kw: object) -> None:
            built.append(1)
            super().__init__(*a, **kw)

    monkeypatch.setattr(prefilter_select, "PrefilterTopk", Counting)
    want = _fp32(q, c, 50, 256)
    _bits_equal(stream_topk(q, shards, 50, corpus_chunk=256, bf16_prefilter=True), want)
    assert built == [1]
    _bits_equal(stream_topk(q, shards, 50, corpus_chunk=256, bf16_prefilter=False), want)
    assert built == [1]


def test_prefiltered_stream_keeps_a_winner_hidden_by_aligned_rounding() -> None:
    """The adversarial inputs of test_prefilter: the winner is in a later shard than the bf16
    favourite, so it survives only if the running maxima include every chunk seen."""
    pytest.importorskip("numba")
    from tests.kernels.test_prefilter import aligned_rounding_case

    q, c = aligned_rounding_case()
    want = _fp32(q, c, 1, 256)
    assert int(want[1][0, 0]) == 600
    for rows in (256, 300, 512):
        _bits_equal(
            stream_topk(q, _shards(c, rows), 1, corpus_chunk=256, bf16_prefilter=True), want
        )
