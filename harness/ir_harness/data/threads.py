"""Blocks of a run's rows, or a file's column chunks, on a few threads.

Why: the whole-run steps of reading and scoring (copying pyarrow's chunks out, the order key of
every row, looking each row up among the few judged pairs) are numpy loops that release the
GIL, so with two cores they take about half the time on two threads. Results come back in
input order, and every caller combines them by position or with integer operations, so the
bits do not depend on the number of threads.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")
U = TypeVar("U")
MAX_THREADS = 4  # beyond this the blocks are memory-bound


def map_blocks(fn: Callable[[int], T], n_rows: int, block: int) -> list[T]:
    """``[fn(a) for a in range(0, n_rows, block)]``, the blocks spread over the threads."""
    starts = range(0, n_rows, block)
    pool = _pool()
    if pool is None or len(starts) < 2:
        return [fn(a) for a in starts]
    return list(pool.map(fn, starts))


def map_each(fn: Callable[[U], T], items: Sequence[U]) -> list[T]:
    """``[fn(x) for x in items]``, the items spread over the threads."""
    pool = _pool()
    if pool is None or len(items) < 2:
        return [fn(x) for x in items]
    return list(pool.map(fn, items))


@functools.cache
def _pool() -> ThreadPoolExecutor | None:
    """One pool per process, sized by the CPUs this process may run on (all CPUs where the
    platform cannot say: macOS and Windows have no ``sched_getaffinity``); None for one."""
    allowed = getattr(os, "sched_getaffinity", None)
    cpus = len(allowed(0)) if allowed is not None else (os.cpu_count() or 1)
    threads = min(cpus, MAX_THREADS)
    if threads < 2:
        return None
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(threads, thread_name_prefix="row-blocks")
