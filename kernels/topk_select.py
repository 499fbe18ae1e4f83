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
    run = FusedTopk(queries, k, corpus_chunk, query_block)
    run.add(0, corpus)
    return run.result()


class FusedTopk:
    """The fused selection, resumable: corpus pieces arrive one by one, in ascending order.

    The heaps of every query live here between pieces, so a piece continues the selection
    exactly where the previous one stopped (its k-th key is each row's running floor), and
    the result is the one a single call over the concatenated pieces gives, bit for bit: the
    same score blocks (pieces start at multiples of ``corpus_chunk``, so the chunks are the
    in-memory path's own) folded by the same exact selection. Memory beyond one score block:
    ``queries x k`` keys and indices (12 bytes each), never more than the rows seen so far.
    """

    def __init__(self, queries: torch.Tensor, k: int, corpus_chunk: int, query_block: int):
        import torch

        self.q = queries.to(torch.float32)
        self.k, self.chunk, self.qb = max(0, k), corpus_chunk, query_block
        nq = queries.shape[0]
        self.rows = 0  # corpus rows folded so far
        self.next: int | None = None  # the row the next piece starts at (any chunk multiple first)
        self.keys = np.empty((nq, 0), np.int32)
        self.idx = np.empty((nq, 0), np.int64)
        self.filled = np.zeros(nq, np.int64)
        self.threads = max(1, torch.get_num_threads())
        self.pool = thread_pool(self.threads)
        self.buf = torch.empty(0, dtype=torch.float32)
        self.stage: torch.Tensor | None = None

    def add(self, c0: int, piece: torch.Tensor, stage: bool = False) -> None:
        """Fold corpus rows ``c0 .. c0 + len(piece)`` (global indices): ``c0`` is a multiple
        of ``corpus_chunk`` and continues the previous piece; all but the last hold whole chunks.

        ``stage``: copy each chunk into one reused buffer before the product (for memory-mapped
        pieces: in one loaded 3-round check the product over 4 KiB page-cache pages ran 10-15%
        slower than over numpy's huge-page memory; the copy took ~4% of a streamed search's
        profile). The values, and so the scores, are the same."""
        from functools import partial

        import torch

        n, nq = piece.shape[0], self.q.shape[0]
        self.next = next_piece_row(c0, n, self.chunk, self.next)
        self.rows += n
        if n == 0 or nq == 0 or self.k == 0:
            return
        self._grow(min(self.k, self.rows))
        rows_max = min(self.qb, nq)
        if self.buf.numel() < rows_max * min(self.chunk, n):
            self.buf = torch.empty(rows_max * min(self.chunk, n), dtype=torch.float32)
        for q0 in range(0, nq, self.qb):
            q = self.q[q0 : q0 + self.qb].contiguous()
            rows = q.shape[0]
            keys, idx = self.keys[q0 : q0 + rows], self.idx[q0 : q0 + rows]
            filled = self.filled[q0 : q0 + rows]
            for j in range(0, n, self.chunk):
                chunk = piece[j : j + self.chunk]
                chunk = self._staged(chunk) if stage else chunk.to(torch.float32)
                block_t = self.buf[: rows * chunk.shape[0]].view(rows, chunk.shape[0])
                torch.mm(q, chunk.T, out=block_t)
                del chunk
                block = block_t.numpy()
                args = (block, block.view(np.int32), c0 + j, keys, idx, filled)
                map_row_slices(self.pool, self.threads, rows, partial(select_rows, args))

    def _staged(self, chunk: torch.Tensor) -> torch.Tensor:
        """``chunk`` as fp32 in the reused staging buffer (numpy-allocated: numpy advises huge
        pages for large arrays, torch's allocator does not)."""
        import torch

        m, d = chunk.shape
        if self.stage is None or self.stage.shape[0] < m or self.stage.shape[1] != d:
            self.stage = torch.from_numpy(np.empty((max(m, self.chunk), d), np.float32))
        out = self.stage[:m]
        out.copy_(chunk)
        return out

    def _grow(self, width: int) -> None:
        """Heaps ``width`` wide: k, or the rows seen while fewer (k may exceed the corpus).

        A row fills its heap by appending and builds it once full, so entries move over as
        they are; a heap built at a smaller width is rebuilt when it next fills."""
        if width <= self.keys.shape[1]:
            return
        nq, have = self.keys.shape
        keys, idx = np.empty((nq, width), np.int32), np.empty((nq, width), np.int64)
        keys[:, :have], idx[:, :have] = self.keys, self.idx
        self.keys, self.idx = keys, idx

    def result(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(scores, indices) best first, ``min(k, rows)`` per query."""
        import torch

        s_bits, i = finish(self.keys, self.idx, self.filled)
        return torch.from_numpy(s_bits.view(np.float32)), torch.from_numpy(i)


def select_rows(args: tuple, rows: slice) -> None:  # type: ignore[type-arg]
    """:func:`select_block` on a slice of the block's rows (a thread's share)."""
    block, bits, c0, keys, idx, filled = args
    select_block(block[rows], bits[rows], c0, keys[rows], idx[rows], filled[rows])


def next_piece_row(c0: int, n: int, chunk: int, expected: int | None) -> int:
    """The row after a piece of ``n`` rows at ``c0``, which must be a multiple of ``chunk`` and
    continue the previous piece (``expected``; None before the first)."""
    if c0 % chunk or (expected is not None and c0 != expected):
        want = "a chunk multiple" if expected is None else expected
        raise ValueError(f"piece starts at row {c0}, expected {want}")
    return c0 + n


def map_row_slices(pool, threads: int, rows: int, fn) -> bool:  # type: ignore[no-untyped-def]
    """``fn(slice)`` over a block's rows split among ``threads`` pool threads (one call over
    all rows without a pool); True when no call returned False."""
    step = -(-rows // threads) if rows else 1
    slices = [slice(a, a + step) for a in range(0, rows, step)]
    if pool is None or len(slices) <= 1:
        return fn(slice(None)) is not False
    return all(r is not False for r in pool.map(fn, slices))


_POOLS: dict[int, object] = {}


def thread_pool(threads: int):  # type: ignore[no-untyped-def]
    """A shared thread pool for the selection, or None for one thread."""
    if threads == 1:
        return None
    if threads not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor

        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="topk-select")
    return _POOLS[threads]
