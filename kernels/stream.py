"""Exact top-k streamed over corpus shards (e.g. memory-mapped embedding-store shards).

On the CPU the in-memory path's fused selection (:class:`ir_harness.kernels.topk_select.FusedTopk`)
runs once over all shards: its per-query heaps carry from piece to piece, so each piece starts
from the running k-th score and nothing is merged. Elsewhere (CUDA, no numba) each piece goes
through :func:`ir_harness.kernels.topk.exact_topk` and the winners are merged into the running
top-k by the kernel's own order (:mod:`ir_harness.kernels.order`: score desc with NaN lowest,
then global index asc). Memory beyond the shard in flight is the kernel's score block, at most
one chunk copied where a chunk straddles two shards, and ``queries x k`` heap entries
(``queries x 2k`` merge entries on the fallback), independent of the corpus size.

Exactness: BLAS rounds a product differently for different matrix shapes (a 7-row block is not
computed like a 16384-row one), so the shards are re-cut into the kernel's own chunks at the same
global offsets (multiples of ``corpus_chunk``) the in-memory path uses, with its query blocks.
Every score block is then the very same computation, and the result equals the in-memory path's
bit for bit, for any shard size. Where a piece lies in one shard it is a view; a memory-mapped
piece's chunks are copied one at a time into a reused huge-page buffer before the product (the
product over 4 KiB page-cache pages measured 10-15% slower once; the copy costs ~4%).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.kernels.order import rank_rows
from ir_harness.kernels.topk import _use_bf16, exact_topk

QUERY_BLOCK = 1024  # topk_torch's default: the same query blocks, so the same score blocks

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


def merge_topk(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of two (scores, global indices) results under the rule of :mod:`ir_harness.kernels.order`
    (NaN below -inf, -0.0 = +0.0, equal scores by index asc; canonical scores out)."""
    s = np.concatenate([a[0], b[0]], axis=1)
    i = np.concatenate([a[1], b[1]], axis=1)
    return rank_rows(s, i, k)


def stream_topk(
    queries: np.ndarray,
    shards: Iterable[tuple[int, np.ndarray]],
    k: int,
    *,
    device: str = "cpu",
    corpus_chunk: int = 16384,
    bf16_prefilter: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k over ``(first row, shard array)`` pairs; indices are global rows.

    On the CPU with numba (the in-memory path's fused selection) the selection's heaps carry
    over from piece to piece (:class:`ir_harness.kernels.topk_select.FusedTopk`): each piece
    starts from every query's running k-th score, and no merge is needed. Where the in-memory
    path would run the bf16 prefilter (``bf16_prefilter`` as in
    :func:`ir_harness.kernels.topk.topk_torch`), the stream runs it too
    (:class:`ir_harness.kernels.prefilter_select.PrefilterTopk`, candidates re-scored from the
    shards). Elsewhere (CUDA, no numba) each piece is its own kernel call, merged into the
    running top-k.
    """
    if _fused(device):
        shards = list(shards)  # (memory maps: cheap) the prefilter re-reads candidate rows
        n = sum(len(s) for _, s in shards)
        dim = shards[0][1].shape[1] if shards else 0
        if (
            k > 0
            and n > corpus_chunk
            and len(queries)
            and _use_bf16(bf16_prefilter, len(queries), n, dim, corpus_chunk)
        ):
            return _stream_prefiltered(queries, shards, min(k, n), corpus_chunk)
        return _stream_fused(queries, shards, k, corpus_chunk)
    nq = queries.shape[0]
    best = (np.zeros((nq, 0), np.float32), np.zeros((nq, 0), np.int64))
    for offset, chunk in aligned_chunks(shards, corpus_chunk):
        with warnings.catch_warnings():  # read-only memory maps: the kernel never writes
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            s, i = exact_topk(queries, chunk, k, device=device, corpus_chunk=corpus_chunk)
        best = merge_topk(best, (s, i + offset), k)
    return best


def _fused(device: str) -> bool:
    from ir_harness.kernels.topk import _has

    if not (_has("torch") and _has("numba")):
        return False
    import torch

    return torch.device(device).type == "cpu"


def _stream_fused(
    queries: np.ndarray, shards: Iterable[tuple[int, np.ndarray]], k: int, corpus_chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """The fused CPU selection resumed over every aligned piece: one run, no merges."""
    from ir_harness.kernels.topk import _as_tensor
    from ir_harness.kernels.topk_select import FusedTopk

    run = FusedTopk(_as_tensor(queries, True), k, corpus_chunk, QUERY_BLOCK)
    for offset, piece, raw in _pieces(shards, corpus_chunk):
        run.add(offset, piece, stage=isinstance(raw, np.memmap))
    s, i = run.result()
    return s.numpy(), i.numpy()


def _stream_prefiltered(
    queries: np.ndarray, shards: list[tuple[int, np.ndarray]], k: int, corpus_chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """The bf16-prefiltered selection over every aligned piece; candidates re-read by row."""
    from ir_harness.kernels.prefilter_select import PrefilterTopk
    from ir_harness.kernels.topk import _as_tensor

    run = PrefilterTopk(_as_tensor(queries, True), k, corpus_chunk, QUERY_BLOCK)
    for offset, piece, _ in _pieces(shards, corpus_chunk):
        run.add(offset, piece)
    s, i = run.result(shard_rows(shards))
    return s.numpy(), i.numpy()


def _pieces(shards: Iterable[tuple[int, np.ndarray]], corpus_chunk: int):  # type: ignore[no-untyped-def]
    """(offset, tensor read in place, the array) per aligned piece."""
    from ir_harness.kernels.topk import _as_tensor

    for offset, piece in aligned_chunks(shards, corpus_chunk):
        with warnings.catch_warnings():  # read-only memory maps, read in place: never written
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            tensor = _as_tensor(piece, True)
        yield offset, tensor, piece


def shard_rows(shards: list[tuple[int, np.ndarray]]):  # type: ignore[no-untyped-def]
    """A function from sorted global row numbers to those rows (fp32 tensor) of the shards."""
    import torch

    offsets = np.array([o for o, _ in shards], np.int64)
    dim = shards[0][1].shape[1]

    def gather(rows: np.ndarray) -> torch.Tensor:
        out = np.empty((len(rows), dim), np.float32)
        which = np.searchsorted(offsets, rows, side="right") - 1
        for w in np.unique(which):
            at = which == w
            out[at] = shards[w][1][rows[at] - offsets[w]]
        return torch.from_numpy(out)

    return gather


def aligned_chunks(
    shards: Iterable[tuple[int, np.ndarray]], chunk: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Re-cut consecutive shards into pieces of whole ``chunk``-row chunks starting at multiples
    of ``chunk`` (the last may be shorter), so the kernel cuts every piece into the very chunks
    the in-memory path computes over. The whole chunks inside one shard come as one piece (the
    fused selection then carries its threshold across them, as in memory: one call per
    16,384-row chunk took the plain ``torch.topk`` path, 4x slower at 200k rows).
    The shards must be consecutive and start at a multiple of ``chunk``. Views where a piece lies in one shard, a copy where it straddles."""
    pending: list[np.ndarray] = []
    held = 0
    start: int | None = None
    for offset, shard in shards:
        if start is None:  # a run of shards may begin mid-corpus, at a chunk boundary
            if offset % chunk:
                raise ValueError(f"first shard starts at row {offset}, not a multiple of {chunk}")
            start = offset
        if offset != start + held:
            raise ValueError(f"shards are not consecutive: row {offset} after {start + held}")
        pos = 0
        while pos < len(shard):
            whole = (len(shard) - pos) // chunk * chunk
            if not pending and whole:  # whole chunks in place, in one piece: one kernel call
                yield start, shard[pos : pos + whole]  # (its fused selection spans them)
                start += whole
                pos += whole
                continue
            take = min(chunk - held, len(shard) - pos)
            piece = shard[pos : pos + take]
            pos += take
            pending.append(piece)
            held += take
            if held == chunk:
                yield start, np.concatenate(pending)
                pending, start, held = [], start + chunk, 0
    if pending:
        assert start is not None
        yield start, np.concatenate(pending)
