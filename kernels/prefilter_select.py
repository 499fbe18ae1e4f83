"""The bf16-prefiltered exact top-k as a resumable selection: in memory and streamed alike.

:mod:`ir_harness.kernels.prefilter` holds the bound and the compiled kernels; this module runs
them. :class:`PrefilterTopk` takes the corpus one piece at a time (whole ``corpus_chunk``-row
chunks at their global offsets, as :class:`ir_harness.kernels.topk_select.FusedTopk` does), so
the same object serves the in-memory path (one piece: the whole corpus) and the stream over
memory-mapped shards (:func:`ir_harness.kernels.stream.stream_topk`).

Why no corpus-wide pass is needed first. The margin of a chunk (module doc of
:mod:`~ir_harness.kernels.prefilter`) uses D and R, the largest document norm and residual over
the chunks whose bf16 scores are in the query's approximate heap. When chunk c is recorded, that
heap holds documents of the chunks seen so far only, so the running maxima over those chunks
(``d_run``, ``r_run``, chunk c included) bound it: the k documents at or above the k-th bf16
score t have fp32 scores >= t - o|t| - E(q, d_run, r_run), the final fp32 k-th score is at
least that, and a document of chunk c below the recorded floor cannot reach it. The final
pruning uses the final maxima and the final t; a compaction in between uses the running ones,
valid by the same argument. Every kept candidate is re-scored in fp32 by an sgemm the fp32 path
reproduces bit for bit (:func:`~ir_harness.kernels.prefilter.rescore_reproducible`), so the
output is the fp32 path's, whatever the order or grouping of the pieces.
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.kernels.order import key_scores, order_keys, score_keys
from ir_harness.kernels.prefilter import (
    _HUGE,
    MIN_COLS,
    MIN_ROWS,
    _floors,
    _one_thread,
    _query_norms,
    _tick,
    _values16,
    chunk_bounds,
    collect_block,
)
from ir_harness.kernels.topk_select import (
    map_row_slices,
    next_piece_row,
    select_rows,
    thread_pool,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch

    Gather = Callable[[np.ndarray], torch.Tensor]

_GROUP_ROWS = 64  # query rows per re-scoring sgemm (32 and 128 measured no faster)
_COMPACT = 4  # prune a block's records once they exceed this many times rows x max(k, 1024)


def topk_cpu_bf16(
    queries: torch.Tensor,
    corpus: torch.Tensor,
    k: int,
    corpus_chunk: int,
    query_block: int,
    stats: dict[str, Any] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k bit-identical to :func:`ir_harness.kernels.topk_select.topk_cpu_fused`, prefiltered in bf16.

    ``stats`` (optional) receives ``candidates`` (re-scored pairs), ``queries``,
    ``chunk_blocks`` (query block x chunk pairs) and ``fallback_blocks`` (those scored in fp32).
    """
    import torch

    run = PrefilterTopk(queries, min(k, corpus.shape[0]), corpus_chunk, query_block, stats)
    run.add(0, corpus)
    return run.result(lambda rows: corpus[torch.from_numpy(rows)].to(torch.float32))


class PrefilterTopk:
    """The prefiltered selection over corpus pieces in ascending order (module doc).

    ``k`` must not exceed the corpus rows that will be added (callers cap it). Memory beyond one
    chunk's score block: per query ``2 x k`` heap entries and the recorded candidates (about
    k ln(chunks) plus the margin's band, compacted when they grow past a few times k).
    """

    def __init__(
        self,
        queries: torch.Tensor,
        k: int,
        corpus_chunk: int,
        query_block: int,
        stats: dict[str, Any] | None = None,
    ):
        import torch

        self.k, self.chunk = k, corpus_chunk
        self.st = stats if stats is not None else {}
        for name in ("candidates", "queries", "chunk_blocks", "fallback_blocks"):
            self.st.setdefault(name, 0)
        q = queries.to(torch.float32)
        self.blocks = [
            _Block(q[a : a + query_block].contiguous(), k, self.st)
            for a in range(0, q.shape[0], query_block)
        ]
        self.threads = max(1, torch.get_num_threads())
        self.pool = thread_pool(self.threads)
        rows = min(query_block, q.shape[0])
        self.cap = max(8 * k, 1024)
        self.rec_col = np.empty((rows, self.cap), np.int32)
        self.rec_key = np.empty((rows, self.cap), np.int32)
        self.out16 = torch.empty(rows * corpus_chunk, dtype=torch.bfloat16)
        self.out32 = torch.empty(rows * corpus_chunk, dtype=torch.float32)
        self.next: int | None = None
        self.rows = 0

    def add(self, c0: int, piece: torch.Tensor) -> None:
        """Fold corpus rows ``c0 .. c0 + len(piece)``: ``c0`` is a multiple of ``corpus_chunk``
        and continues the previous piece; all but the last piece hold whole chunks."""
        import torch

        self.next = next_piece_row(c0, piece.shape[0], self.chunk, self.next)
        for j in range(0, piece.shape[0], self.chunk):
            chunk = piece[j : j + self.chunk]
            t0 = time.perf_counter()
            d_c, r_c = self._bounds(chunk)
            usable = math.isfinite(d_c) and chunk.shape[0] >= MIN_COLS
            chunk16 = chunk.to(torch.bfloat16) if usable else None
            _tick(self.st, "s_norms", t0)
            for b in self.blocks:
                b.add(self, c0 + j, chunk, chunk16, d_c, r_c)
            self.rows += chunk.shape[0]

    def _bounds(self, chunk: torch.Tensor) -> tuple[float, float]:
        """Upper bounds on the chunk's largest norm (inf: not finite or huge) and residual,
        its rows split over the selection's threads."""
        import torch

        x = chunk.to(torch.float32).contiguous().numpy()
        step = -(-x.shape[0] // self.threads)
        parts = [x[a : a + step] for a in range(0, x.shape[0], step)]
        if self.pool is None or len(parts) == 1:
            found = [chunk_bounds(p) for p in parts]
        else:
            found = list(self.pool.map(chunk_bounds, parts))
        return max(f[0] for f in found), max(f[1] for f in found)

    def result(self, gather: Gather) -> tuple[torch.Tensor, torch.Tensor]:
        """(scores, indices) best first, ``k`` per query; ``gather(global rows)`` returns those
        corpus rows as an fp32 tensor (for the re-scoring)."""
        import torch

        k = min(self.k, self.rows)
        parts = [b.result(self, gather, k) for b in self.blocks]
        if not parts:
            return torch.zeros((0, k), dtype=torch.float32), torch.zeros((0, k), dtype=torch.long)
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


class _Block:
    """One query block's heaps (approximate bf16 and exact fp32), records and running maxima."""

    def __init__(self, q: torch.Tensor, k: int, st: dict[str, Any]):
        import torch

        self.q = q
        rows = q.shape[0]
        st["queries"] += rows
        self.qs = _query_norms(q)
        qn = self.qs.norm
        self.qmax = float(qn.max()) if rows else 0.0
        self.exact_only = rows < MIN_ROWS or not np.isfinite(qn).all() or self.qmax > _HUGE
        self.qb16 = None if self.exact_only else q.to(torch.bfloat16)
        self.a_keys = np.empty((rows, k), np.int32)
        self.a_idx = np.empty((rows, k), np.int64)
        self.a_filled = np.zeros(rows, np.int64)
        self.x_keys = np.empty((rows, k), np.int32)
        self.x_idx = np.empty((rows, k), np.int64)
        self.x_filled = np.zeros(rows, np.int64)
        self.recorded: list[tuple[int, int, float, float, np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_recorded = 0
        self.d_run = self.r_run = 0.0
        self.seen = self.fell = 0

    def add(
        self,
        run: PrefilterTopk,
        c0: int,
        chunk: torch.Tensor,
        chunk16: torch.Tensor | None,
        d_c: float,
        r_c: float,
    ) -> None:
        """Score one chunk: in bf16 with recording where the bound holds, else in fp32."""
        st = run.st
        st["chunk_blocks"] += 1
        c, self.seen = self.seen, self.seen + 1
        exact = (
            self.exact_only
            or chunk16 is None
            or self.qmax * d_c > _HUGE
            or (c >= 4 and self.fell * 2 > c)
        )
        if not exact:
            assert chunk16 is not None
            # the heap takes this chunk's bf16 scores even if its records overflow: its
            # maxima count from now on
            self.d_run, self.r_run = max(self.d_run, d_c), max(self.r_run, r_c)
            exact = not self._bf16(run, c0, chunk16, d_c, r_c)
        if exact:
            self.fell += 1
            st["fallback_blocks"] += 1
            self._fp32(run, c0, chunk)

    def _bf16(self, run, c0, chunk16, d_c, r_c) -> bool:  # type: ignore[no-untyped-def]
        """The bf16 product and the candidate recording; False when a record buffer overflowed
        (the chunk is then scored in fp32; the approximate heap only ever holds true bf16
        scores of this block's documents, so folding them in stays valid)."""
        import torch

        rows, cols = self.q.shape[0], chunk16.shape[0]
        margin = self.qs.margin(self.d_run, self.r_run, d_c, r_c, slice(None))
        assert self.qb16 is not None  # set unless the block is exact only
        t0 = time.perf_counter()
        out = run.out16[: rows * cols].view(rows, cols)
        torch.mm(self.qb16, chunk16.T, out=out)
        ab = out.view(torch.int16).numpy()
        t0 = _tick(run.st, "s_bf16_mm", t0)
        count = np.zeros(rows, np.int64)
        rec_col, rec_key = run.rec_col[:rows], run.rec_key[:rows]
        args = (ab, c0, self.a_keys, self.a_idx, self.a_filled, margin, rec_col, rec_key, count)
        ok = map_row_slices(run.pool, run.threads, rows, partial(_collect_rows, args))
        _tick(run.st, "s_collect", t0)
        if not ok:
            return False
        r = np.repeat(np.arange(rows), count)
        sel = np.arange(run.cap)[None, :] < count[:, None]
        self.recorded.append((c0, cols, d_c, r_c, r, rec_col[sel].copy(), rec_key[sel].copy()))
        self.n_recorded += len(r)
        if self.n_recorded > _COMPACT * rows * max(self.a_keys.shape[1], 1024):
            self._prune()
        return True

    def _fp32(self, run: PrefilterTopk, c0: int, chunk: torch.Tensor) -> None:
        """The fp32 path's very product and exact selection for one chunk."""
        import torch

        t0 = time.perf_counter()
        rows, cols = self.q.shape[0], chunk.shape[0]
        out = run.out32[: rows * cols].view(rows, cols)
        torch.mm(self.q, chunk.to(torch.float32).T, out=out)
        block = out.numpy()
        args = (block, block.view(np.int32), c0, self.x_keys, self.x_idx, self.x_filled)
        map_row_slices(run.pool, run.threads, rows, partial(select_rows, args))
        _tick(run.st, "s_fp32_chunks", t0)

    def _prune(self) -> None:
        """Drop recorded candidates below their floor against the current k-th bf16 score and
        running maxima (valid now and at the end: module doc)."""
        k = self.a_keys.shape[1]
        full = self.a_filled == k
        worst = _values16(self.a_keys.min(axis=1)) if k else np.zeros(len(full))
        kept = []
        for c0, cols, d_c, r_c, r, col, key in self.recorded:
            margin = self.qs.margin(self.d_run, self.r_run, d_c, r_c, r)
            keep = ~full[r] | (_values16(key) >= _floors(worst[r], margin))
            if keep.any():
                kept.append((c0, cols, d_c, r_c, r[keep], col[keep], key[keep]))
        self.recorded = kept
        self.n_recorded = sum(len(x[4]) for x in kept)

    def result(
        self, run: PrefilterTopk, gather: Gather, k: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prune against the final k-th bf16 score, re-score in fp32, select by the order rule."""
        import torch

        rows = self.q.shape[0]
        self._prune()
        parts_r, parts_i, parts_s, jobs = [], [], [], []
        for c0, cols, _d, _r, r, col, _key in self.recorded:
            s = np.empty(len(r), np.float32)
            jobs += _rescore_jobs(self.q, gather, c0, cols, r, col, s)
            parts_r.append(r)
            parts_i.append(col.astype(np.int64) + c0)
            parts_s.append(s)
        t0 = time.perf_counter()
        with _one_thread():
            if run.pool is None:
                for job in jobs:
                    job()
            else:
                list(run.pool.map(lambda job: job(), jobs))
        t0 = _tick(run.st, "s_rescore", t0)
        run.st["candidates"] += int(sum(len(p) for p in parts_r))
        nx = int(self.x_filled[0]) if rows else 0
        if nx:
            parts_r.append(np.repeat(np.arange(rows), nx))
            parts_i.append(self.x_idx[:, :nx].ravel())
            parts_s.append(key_scores(self.x_keys[:, :nx].ravel()))
        if not parts_r:
            return torch.zeros((rows, k), dtype=torch.float32), torch.zeros(
                (rows, k), dtype=torch.long
            )
        r = np.concatenate(parts_r)
        i = np.concatenate(parts_i)
        s = np.concatenate(parts_s).astype(np.float32)
        order = np.lexsort((-order_keys(s, i), r))
        r, i, s = r[order], i[order], s[order]
        if not (np.bincount(r, minlength=rows) >= k).all():  # cannot happen (module doc)
            raise RuntimeError("bf16 prefilter lost candidates: please report this as a bug")
        take = np.searchsorted(r, np.arange(rows))[:, None] + np.arange(k)[None, :]
        out_s = key_scores(score_keys(s[take]))
        _tick(run.st, "s_select", t0)
        return torch.from_numpy(out_s.reshape(rows, k)), torch.from_numpy(i[take].reshape(rows, k))


def _collect_rows(args: tuple, rows: slice) -> bool:  # type: ignore[type-arg]
    ab, c0, keys, idx, filled, margin, rec_col, rec_key, count = args
    return bool(
        collect_block(
            ab[rows],
            c0,
            keys[rows],
            idx[rows],
            filled[rows],
            margin[rows],
            rec_col[rows],
            rec_key[rows],
            count[rows],
        )
    )


def _rescore_jobs(q, gather, c0, width, r, col, out):  # type: ignore[no-untyped-def]
    """Jobs writing into ``out`` the fp32 scores of (query row, chunk column) pairs (``r`` is
    sorted), each bit-equal to the full-block sgemm's.

    Query rows go in groups of 64 (the last group overlaps the previous one so it too has at
    least 32 rows); each group is one sgemm against the union of its columns, padded to at
    least 32 columns of the chunk.
    """
    rows = q.shape[0]
    g = min(_GROUP_ROWS, rows)
    jobs = []
    bounds = np.searchsorted(r, np.arange(0, rows + g, g))
    for a, (p0, p1) in zip(range(0, rows, g), zip(bounds[:-1], bounds[1:])):
        if p0 == p1:
            continue

        def job(a: int = a, p0: int = p0, p1: int = p1) -> None:
            lo = min(a, rows - g)
            cc = col[p0:p1]
            cols = np.unique(cc)
            if len(cols) < MIN_COLS:
                extra = np.setdiff1d(np.arange(min(width, 2 * MIN_COLS)), cols)
                cols = np.union1d(cols, extra[: MIN_COLS - len(cols)])
            docs = gather(c0 + cols.astype(np.int64))
            block = (q[lo : lo + g] @ docs.T).numpy()
            out[p0:p1] = block[r[p0:p1] - lo, np.searchsorted(cols, cc)]

        jobs.append(job)
    return jobs
