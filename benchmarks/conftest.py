"""Shared benchmark setup: one thread count for every library, data generated once per N."""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

NQ, DIM, K = 1000, 384, 100
THREADS = int(os.environ.get("BENCH_THREADS") or os.cpu_count() or 1)


@pytest.fixture(scope="session", autouse=True)
def same_threads() -> int:
    """torch (ATen/MKL) here and FAISS (OpenMP, in its own process: two OpenMP runtimes in one
    process slow each other down) get the same number of threads, or ratios lie."""
    import torch

    torch.set_num_threads(THREADS)
    return THREADS


_DATA: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def unit_vectors(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(queries, corpus) for corpus size n; only the latest size is kept (1M x 384 is 1.5 GB)."""
    if n not in _DATA:
        _DATA.clear()
        _DATA[n] = unit_vectors(NQ, 1), unit_vectors(n, 2)
    return _DATA[n]


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_delta(fn: Callable[[], Any], interval: float = 0.002) -> int:
    """Peak resident memory above the level before ``fn`` ran, sampled every ``interval`` s.

    Covers numpy, torch and FAISS allocations alike (tracemalloc sees numpy only). Sampling can
    miss a spike shorter than the interval; the kernels' buffers live for a whole chunk.
    """
    base, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(interval)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        fn()
    finally:
        done.set()
        t.join()
    return max(peak[0], _rss()) - base
