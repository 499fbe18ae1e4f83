"""Fused CPU top-k selection over a score block, in numba: one pass per row, a k-entry heap.

The matrix product of a query block and a corpus chunk is the bar; selecting from
its output with torch ops (topk, group maxima, nonzero) read the block several times and cost
0.3-1x the product on 2 cores. Here each row is read once, right after the product wrote it:
an element is compared, as an order-preserving integer key, with the row's current k-th key
and only the rare winners touch the heap. Memory beyond the block: the heaps, ``rows * k``
keys and indices.

Tie rule (the same as ``ir_harness.kernels.topk``): equal scores rank lower corpus index first, and when
ties straddle the k-th place the lowest indices stay. Blocks arrive in ascending corpus order
and rows are scanned left to right, so an element equal to the current k-th key always has a
higher index than everything held and is rightly skipped: only strictly greater keys enter.
Keys order floats by the rule of :mod:`ir_harness.kernels.order`: by value, -0.0 counts as 0.0, and every
NaN (either sign) takes the lowest key, below -inf. A NaN therefore never displaces a held entry
(its key is never strictly greater), and a row holding a NaN as its k-th entry takes any number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    import torch

_MASK = np.int32(0x7FFFFFFF)
_INF_BITS = np.int32(0x7F800000)
_NAN_KEY = np.int32(-(2**31))  # ir_harness.kernels.order.NAN_KEY: below -inf's key
_CANON_NAN = np.int32(0x7FC00000)


_GROUP = 32  # columns reduced per vectorised step before any element-wise work


@njit(cache=True, inline="always")
def _key(bits: np.int32) -> np.int32:
    """Order-preserving int32 key of fp32 bits; branch-free, so loops over it vectorise.

    Negative floats flip their magnitude bits; -0.0 maps to -1, the only bits that do, and is
    lifted to +0.0's key 0. Any NaN maps to ``_NAN_KEY`` (rule of :mod:`ir_harness.kernels.order`).
    """
    t = bits ^ ((bits >> np.int32(31)) & _MASK)
    t = t + np.int32(t == -1)
    return _NAN_KEY if (bits & _MASK) > _INF_BITS else t


@njit(cache=True, inline="always")
def _score(key: np.int32) -> np.float32:
    """The fp32 value of a key (inverse of :func:`_key`; -0.0 comes back as 0.0)."""
    bits = np.empty(1, dtype=np.int32)
    bits[0] = key ^ ((key >> np.int32(31)) & _MASK)
    return bits.view(np.float32)[0]


@njit(cache=True, inline="always")
def _worse(ka, ia, kb, ib) -> bool:  # type: ignore[no-untyped-def]
    """Entry a ranks below entry b: lower key, or equal key and higher index."""
    return ka < kb or (ka == kb and ia > ib)


@njit(cache=True, inline="always")
def _sift_down(keys, idx, r, pos, k):  # type: ignore[no-untyped-def]
    """Restore the min-heap (worst entry at the root) of row ``r`` from ``pos`` down."""
    kv, iv = keys[r, pos], idx[r, pos]
    while True:
        child = 2 * pos + 1
        if child >= k:
            break
        if child + 1 < k and _worse(
            keys[r, child + 1], idx[r, child + 1], keys[r, child], idx[r, child]
        ):
            child += 1
        if not _worse(keys[r, child], idx[r, child], kv, iv):
            break
        keys[r, pos], idx[r, pos] = keys[r, child], idx[r, child]
        pos = child
    keys[r, pos], idx[r, pos] = kv, iv


@njit(cache=True, nogil=True)
def select_block(block, block_bits, c0, keys, idx, filled):  # type: ignore[no-untyped-def]
    """Fold one fp32 score block (rows x cols; ``block_bits`` is its int32 view) into the heaps.

    ``keys``/``idx`` (rows x k) hold each row's heap, ``filled`` (rows) how many entries each
    holds; column ``j`` of the block is corpus row ``c0 + j``. Each group of columns is first
    reduced to its float maximum (vectorised); only a group whose maximum beats the row's k-th
    score is compared element by element on exact integer keys. NaN never enters a full heap
    (its key is the lowest); while a row's k-th entry is itself a NaN, every number enters.
    """
    rows, cols = block.shape
    k = keys.shape[1]
    for r in range(rows):
        row, row_bits = block[r], block_bits[r]
        j = 0
        n = filled[r]
        while n < k and j < cols:  # fill: append, then heapify once full
            keys[r, n] = _key(row_bits[j])
            idx[r, n] = c0 + j
            n += 1
            j += 1
            if n == k:
                for p in range(k // 2 - 1, -1, -1):
                    _sift_down(keys, idx, r, p, k)
        filled[r] = n
        if n < k:
            continue
        worst = keys[r, 0]
        threshold = _score(worst)
        open_ = worst == _NAN_KEY  # the k-th entry is a NaN: every number beats it
        while j < cols:
            stop = min(j + _GROUP, cols)
            top = np.float32(-np.inf)
            for jj in range(j, stop):
                v = row[jj]
                top = v if v > top else top  # NaN never wins this comparison
            if open_ or top > threshold:
                for jj in range(j, stop):
                    # a float test first (cheap; exact for numbers), then the exact key
                    if not (open_ or row[jj] > threshold):
                        continue
                    kv = _key(row_bits[jj])
                    if kv > worst:
                        keys[r, 0] = kv
                        idx[r, 0] = c0 + jj
                        _sift_down(keys, idx, r, 0, k)
                        worst = keys[r, 0]
                        threshold = _score(worst)
                        open_ = worst == _NAN_KEY
            j = stop


@njit(cache=True, nogil=True)
def finish(keys, idx, filled):  # type: ignore[no-untyped-def]
    """Rows best first: (fp32 bits of canonical scores, int64 indices); every row holds
    ``filled[0]`` entries. NaN comes back as ``0x7FC00000``, -0.0 as +0.0."""
    rows = keys.shape[0]
    n = filled[0] if rows else 0
    bits = np.empty((rows, n), dtype=np.int32)
    out_i = np.empty((rows, n), dtype=np.int64)
    order_key = np.empty(n, dtype=np.int64)
    for r in range(rows):
        for p in range(n):  # one unique int64 per entry: key desc, then index asc
            # -1 - key, not -key: the NaN key -2**31 would overflow int64 once shifted
            order_key[p] = (np.int64(-1) - keys[r, p]) * np.int64(1 << 32) + idx[r, p]
        order = np.argsort(order_key)
        for p in range(n):
            kv = keys[r, order[p]]
            bits[r, p] = _CANON_NAN if kv == _NAN_KEY else kv ^ ((kv >> 31) & _MASK)
            out_i[r, p] = idx[r, order[p]]
    return bits, out_i


def topk_cpu_fused(
    queries: torch.Tensor, corpus: torch.Tensor, k: int, corpus_chunk: int, query_block: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """CPU top-k: each score block goes straight from sgemm into the compiled selection.

    One score buffer is reused for every block (no fresh 64 MiB allocation, and its page
    faults, per chunk); the selection splits the block's rows over torch's thread count
    (numba releases the GIL), so it takes a few percent of the product's time.
    """
    from functools import partial

    import torch

    nq, n = queries.shape[0], corpus.shape[0]
    threads = max(1, torch.get_num_threads())
    pool = thread_pool(threads)
    rows_max = min(query_block, nq)
    buf = torch.empty(rows_max * min(corpus_chunk, n), dtype=torch.float32)
    out_s, out_i = [], []
    for q0 in range(0, nq, query_block):
        q = queries[q0 : q0 + query_block].to(torch.float32).contiguous()
        rows = q.shape[0]
        keys = np.empty((rows, k), np.int32)
        idx = np.empty((rows, k), np.int64)
        filled = np.zeros(rows, np.int64)
        slices = [slice(a, a + -(-rows // threads)) for a in range(0, rows, -(-rows // threads))]
        for c0 in range(0, n, corpus_chunk):
            chunk = corpus[c0 : c0 + corpus_chunk].to(torch.float32)
            block_t = buf[: rows * chunk.shape[0]].view(rows, chunk.shape[0])
            torch.mm(q, chunk.T, out=block_t)
            del chunk
            block = block_t.numpy()
            bits = block.view(np.int32)

            args = (block, bits, c0, keys, idx, filled)
            if pool is None or len(slices) == 1:
                select_rows(args, slice(None))
            else:
                list(pool.map(partial(select_rows, args), slices))
        s_bits, i = finish(keys, idx, filled)
        out_s.append(torch.from_numpy(s_bits.view(np.float32)))
        out_i.append(torch.from_numpy(i))
    return torch.cat(out_s), torch.cat(out_i)


def select_rows(args: tuple, rows: slice) -> None:  # type: ignore[type-arg]
    """:func:`select_block` on a slice of the block's rows (a thread's share)."""
    block, bits, c0, keys, idx, filled = args
    select_block(block[rows], bits[rows], c0, keys[rows], idx[rows], filled[rows])


_POOLS: dict[int, object] = {}


def thread_pool(threads: int):  # type: ignore[no-untyped-def]
    """A shared thread pool for the selection, or None for one thread."""
    if threads == 1:
        return None
    if threads not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor

        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="topk-select")
    return _POOLS[threads]
