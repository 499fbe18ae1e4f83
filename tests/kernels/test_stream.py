"""Streaming top-k over shards returns exactly the in-memory kernel's result."""

from __future__ import annotations

import numpy as np
import pytest

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
