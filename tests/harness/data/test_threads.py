"""Work spread over threads comes back in input order, the same as on one thread."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ir_harness.data import threads
from ir_harness.data.formats import _concat_primitive


@pytest.mark.parametrize("one_thread", [False, True])
def test_blocks_and_items_come_back_in_order(
    one_thread: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if one_thread:
        monkeypatch.setattr(threads, "_pool", lambda: None)
    assert threads.map_blocks(lambda a: a, 10, 3) == [0, 3, 6, 9]
    assert threads.map_blocks(lambda a: a, 0, 3) == []
    assert threads.map_each(lambda x: x * x, list(range(50))) == [x * x for x in range(50)]


@pytest.mark.parametrize("one_thread", [False, True])
def test_chunks_are_copied_to_their_places(
    one_thread: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if one_thread:
        monkeypatch.setattr(threads, "_pool", lambda: None)
    rng = np.random.default_rng(0)
    parts = [rng.integers(-5, 5, size=int(n)).astype(np.int32) for n in rng.integers(0, 40, 30)]
    col = pa.chunked_array([pa.array(p) for p in parts], type=pa.int32())
    sliced = col.slice(7, len(col) - 20)  # chunks with offsets into their buffers
    got = _concat_primitive(sliced.chunks, np.int32, np.int64)
    assert got.dtype == np.int64
    assert got.tolist() == np.concatenate(parts)[7 : len(col) - 13].tolist()


def test_the_pool_is_sized_where_the_platform_has_no_cpu_affinity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """macOS and Windows have no ``os.sched_getaffinity``: the CPU count sizes the pool."""
    monkeypatch.delattr(threads.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 3)
    threads._pool.cache_clear()
    try:
        pool = threads._pool()
        assert pool is not None and pool._max_workers == 3
        assert threads.map_each(lambda x: -x, [1, 2, 3]) == [-1, -2, -3]
    finally:
        threads._pool.cache_clear()
