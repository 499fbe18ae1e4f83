"""A query whose scores hold 0xFFC00000 (0 * inf) gets one top-k from every executor.

In-memory ``exact_topk``, the streamed search and the Ray merge of several shard groups must all
equal the plain reference sort of kernels/order.py, bit for bit.

The corpus embedding cache refuses non-finite vectors (a NaN vector is a model fault, not a score), so
through the store a non-finite score can only come from fp32 overflow of finite vectors: the
store and Ray cases use vectors of 3e38 whose products overflow to +-inf, while the NaN scores
of the zero query go through the same streaming merge over in-memory chunks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
from ir_harness.kernels.order import reference_topk
from ir_harness.kernels.stream import stream_topk
from ir_harness.kernels.topk import exact_topk
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("torch")
CHUNK = 16384  # the kernel's chunk: Ray's shard groups start at its multiples


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d = 1, three kernel chunks; the zero query turns every infinity into 0xFFC00000."""
    rng = np.random.default_rng(5)
    n = 3 * CHUNK
    c = rng.integers(-50, 50, n).astype(np.float32)
    c[rng.integers(0, n, 40)] = np.inf
    c[rng.integers(0, n, 40)] = -np.inf
    c[rng.integers(0, n, 40)] = np.nan
    q = np.array([[0.0], [1.0], [-1.0]], np.float32)
    with np.errstate(all="ignore"):
        scores = (q * c[None, :]).astype(np.float32)
    assert (scores[0].view(np.uint32) == 0xFFC00000).sum() >= 80
    return q, c[:, None].copy(), scores


def _finite_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d = 1, three kernel chunks of finite vectors; 2 x 3e38 overflows to +-inf (one product:
    the same bits in numpy and in the kernel's sgemm), with many ties."""
    rng = np.random.default_rng(6)
    n = 3 * CHUNK
    c = rng.integers(-50, 50, n).astype(np.float32)
    c[rng.integers(0, n, 40)] = 3e38
    c[rng.integers(0, n, 40)] = -3e38
    q = np.array([[2.0], [-2.0], [0.0]], np.float32)
    with np.errstate(all="ignore"):
        scores = (q * c[None, :]).astype(np.float32)
    assert np.isinf(scores[0]).sum() >= 60
    return q, c[:, None].copy(), scores


def _chunks(c: np.ndarray) -> list[tuple[int, np.ndarray]]:
    return [(a, c[a : a + CHUNK]) for a in range(0, len(c), CHUNK)]


def _store(tmp_path: Path, c: np.ndarray) -> CorpusEmbeddingCache:
    store = CorpusEmbeddingCache(tmp_path, "fp", "0" * 32, len(c), shard_rows=CHUNK)
    for i in range(store.n_shards):
        a, b = store.bounds(i)
        store.write_shard(i, c[a:b])
    store.finish()
    return store


def _same(got: tuple, want: tuple) -> None:
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0].view(np.uint32), want[0].view(np.uint32))


def test_in_memory_and_streamed_equal_the_reference(tmp_path: Path) -> None:
    q, c, scores = _data()
    for k in (5, 200):
        want = reference_topk(scores, k)
        _same(exact_topk(q, c, k), want)
        _same(stream_topk(q, _chunks(c), k), want)
    fq, fc, fscores = _finite_data()
    for k in (5, 200):
        _same(stream_topk(fq, _store(tmp_path, fc).shards(), k), reference_topk(fscores, k))
    # the zero query: every score is ±0 or a NaN; the NaNs come last, zeros by index
    s, i = exact_topk(q[:1], c, len(c))
    assert np.isnan(s[0, -80:]).all() and (np.diff(i[0, : len(c) - 120]) > 0).all()


@pytest.mark.slow
def test_ray_equals_the_reference(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    from ir_harness.executors.ray_executor import RayExecutor, ensure_ray

    q, c, scores = _finite_data()
    store = _store(tmp_path, c)
    ex = RayExecutor(None, workers=3)
    ensure_ray(None, workers=3)
    try:
        for k in (5, 200):
            got = ex.search_shards(q, store, k, RunContext(executor=ex))
            _same(got, reference_topk(scores, k))
    finally:
        ray.shutdown()
