"""A query whose scores hold 0xFFC00000 (0 * inf) gets one top-k from every executor.

In-memory ``exact_topk``, the store-streamed search and the Ray merge of several shard groups
must all equal the plain reference sort of kernels/order.py, bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ir_harness.cache.corpus_embeddings import EmbeddingStore
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


def _store(tmp_path: Path, c: np.ndarray) -> EmbeddingStore:
    store = EmbeddingStore(tmp_path, "fp", "0" * 32, len(c), shard_rows=CHUNK)
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
        _same(stream_topk(q, _store(tmp_path, c).shards(), k), want)
    # the zero query: every score is ±0 or a NaN; the NaNs come last, zeros by index
    s, i = exact_topk(q[:1], c, len(c))
    assert np.isnan(s[0, -80:]).all() and (np.diff(i[0, : len(c) - 120]) > 0).all()


@pytest.mark.slow
def test_ray_equals_the_reference(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    from ir_harness.executors.ray_executor import ensure_ray, search_shards

    q, c, scores = _data()
    store = _store(tmp_path, c)
    ensure_ray(None, workers=3)
    try:
        for k in (5, 200):
            got = search_shards(q, store, k, RunContext(executor="ray", workers=3))
            _same(got, reference_topk(scores, k))
    finally:
        ray.shutdown()
