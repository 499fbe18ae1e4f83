"""Exact maximum-inner-product top-k: a chunked matrix product with a running top-k merge.

Memory beyond the corpus is bounded by one score block, ``query_block x corpus_chunk`` floats,
never queries x corpus; :func:`peak_extra_bytes` spells the bound out (about 108 MB at the
defaults, under the 128 MB budget). The torch path runs wherever the tensors live: on CUDA
with a threshold merge, on CPU with MKL sgemm into one reused score buffer and a fused numba
selection (:mod:`ir_harness.kernels.topk_select`, about 66 MB beyond the corpus at the defaults) that
reads each block once while it is fresh; without numba, a torch group pre-filter. Both
measured faster than FAISS's exact ``knn`` with the same threads on the 2-core dev machine
(benchmarks/README.md). So ``backend="auto"`` uses torch, and FAISS only when torch is not
installed.

Order: every path follows the one rule of :mod:`ir_harness.kernels.order` (NaN below -inf, -0.0 = +0.0,
equal scores by lower corpus index first, the lowest indices kept when equal scores straddle
the k-th place; canonical NaN and +0.0 in the output), on CPU and CUDA alike. The torch path
merges candidates as single int64 keys (order-preserving score bits with NaN lowest, then the
inverted index), so one ``torch.topk`` over unique keys does the merge with no stable sorts.
FAISS (used only when torch is missing) selects by its own comparisons and is outside the rule
for NaN scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

Backend = Literal["auto", "torch", "faiss"]
Precision = Literal["fp32", "tf32", "bf16", "fp16"]
_Merge = Literal["topk", "threshold", "prefilter"]

_LOW = 0xFFFFFFFF  # indices live in the low 32 bits of a merge key
_SIGN_MASK = 0x7FFFFFFF
_NAN_ORDERED = -(2**31)  # ir_harness.kernels.order.NAN_KEY: a NaN's ordered bits, below -inf's
_CANON_NAN = 0x7FC00000
_NO_KEY = -(2**63)  # padding key, below every real (score, index) key
_TORCH_DTYPES = (np.float16, np.float32, np.float64)


def peak_extra_bytes(
    query_block: int = 1024, corpus_chunk: int = 16384, k: int = 100, dim: int = 384
) -> int:
    """Upper bound on the torch path's working memory beyond the corpus, queries and outputs.

    Always alive: one fp32 score block, ``query_block * corpus_chunk * 4`` bytes (64 MiB at the
    defaults), plus the running best keys and the query block (~2 MB). On top of that, one of
    (never together): a cast copy of the corpus chunk when the corpus is not in the matmul dtype
    (25 MB at d=384, freed before the merge); the threshold merge (a bool mask of the block,
    17 MB, plus ``max(2k, 64)`` slots per row, ~23 MB); the topk merge (candidates ~5 MB plus
    the tie-repair sort of ``query_block // 32`` rows, ~15 MB); or the CPU pre-filter (candidate
    groups of a quarter of the block, a quarter of its rows copied for a full selection, slots:
    ~59 MB). Total at the defaults (k=100): about 126 MB, under the 128 MB budget, and
    independent of the corpus and query counts. It grows with k: pass a smaller
    ``query_block`` for large k.
    """
    qb, chunk = query_block, corpus_chunk
    always = qb * chunk * 4 + qb * k * 8 + qb * dim * 4
    cast = chunk * dim * 4
    candidates = qb * (k + 1) * (4 + 8 + 8) + qb * (2 * k + 1) * 8 + qb * k * 16
    topk_merge = candidates + max(1, qb // 32) * chunk * (4 + 2 * (4 + 8))
    # bool mask; per found entry: (row, col), 7 int64 temporaries, a score; buffers; topk out
    found = qb * _width(k)
    threshold_merge = qb * chunk + found * (16 + 7 * 8 + 4 + 8 + 8) + qb * k * (8 + 16)
    # CPU pre-filter: group maxima and hits; candidate groups (at most a quarter of a row's
    # groups, 64 fp32 + 64 bool each, and their (row, group) pairs); found entries (at most
    # width per row: pairs, keys, scores); the slot buffer; the rows given a full selection
    # (at most a quarter, copied) with their topk; the concatenated merge input.
    groups = qb * (chunk // _GROUP) * (4 + 1) + (qb * chunk // 4) * (4 + 1) + qb * chunk // 16
    prefilter = groups + found * (16 + 8 + 8 + 4) + qb * chunk + topk_merge // 4
    prefilter += qb * (k + _width(k) + 2 * (k + 1) + _GROUP) * 8
    return always + max(cast, topk_merge, threshold_merge, prefilter)


def _keys(scores: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Pack (fp32 score, index) into int64 keys ordered by the rule of :mod:`ir_harness.kernels.order`:
    score desc with every NaN lowest, then index asc."""
    import torch

    s = scores.float()
    bits = s.contiguous().view(torch.int32).long()
    ordered = bits ^ ((bits >> 31) & _SIGN_MASK)  # monotone in the float's value
    ordered = ordered + (ordered == -1)  # -0.0 (the only bits mapped to -1) -> +0.0's 0
    ordered = torch.where(torch.isnan(s), _NAN_ORDERED, ordered)
    return ordered * (1 << 32) + (_LOW - idx)


def _unkeys(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    ordered = keys >> 32
    bits = ordered ^ ((ordered >> 31) & _SIGN_MASK)
    bits = torch.where(ordered == _NAN_ORDERED, _CANON_NAN, bits).int()
    return bits.view(torch.float32), _LOW - (keys & _LOW)


def _entry_bound(best: torch.Tensor) -> torch.Tensor:
    """Per row, the fp32 value ``t`` with: a later chunk's element ``v`` enters iff ``v >= t``.

    A later element has a higher index, so it enters only with a strictly higher key than the
    row's k-th. For a number ``w`` at the k-th place that is ``v >= nextafter(w, +inf)``; for
    ``+inf`` nothing enters (``t`` = NaN compares false); for a NaN every number enters
    (``t`` = -inf). NaN elements never pass ``>=``, which is right: their key is the lowest.
    """
    import torch

    w = _unkeys(best.min(dim=1, keepdim=True).values)[0]
    up = torch.nextafter(w, torch.full_like(w, float("inf")))
    up = torch.where(w == float("inf"), float("nan"), up)
    return torch.where(torch.isnan(w), float("-inf"), up)


def _chunk_topk(
    block: torch.Tensor, kk: int, stable_rows: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-``kk`` of each row that contains the lowest-index choice among boundary ties.

    ``torch.topk`` picks tied elements arbitrarily and ranks NaN above everything, so it takes
    one extra element: where the smallest returned value occurs twice (ties straddle the
    boundary) or is NaN (the row holds a NaN, which the rule ranks lowest), that row (rare with
    real-valued scores) is redone as a ``torch.topk`` over unique merge keys, which follow the
    rule of :mod:`ir_harness.kernels.order`, in slices of ``stable_rows`` rows.
    """
    import torch

    n = block.shape[1]
    take = min(kk + 1, n)
    s, i = torch.topk(block, take, dim=1, sorted=False)
    if take == n:  # the whole chunk is in: nothing was left out
        return s, i
    lowest = s.min(dim=1, keepdim=True).values  # NaN if the row holds one (topk takes it)
    redo = ((s == lowest).sum(dim=1) > 1) | torch.isnan(lowest[:, 0])
    tied = redo.nonzero().flatten()
    cols = torch.arange(n, device=block.device)
    for r0 in range(0, tied.numel(), stable_rows):
        rows = tied[r0 : r0 + stable_rows]
        best = torch.topk(_keys(block[rows], cols.expand(rows.numel(), n)), take, dim=1).values
        s[rows], i[rows] = _unkeys(best)
    return s, i


def _merge_above(
    best: torch.Tensor, block: torch.Tensor, c0: int, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Merge into the running best keys only the chunk's scores above the current k-th score.

    Once k candidates are held, a later chunk's element can only enter with a strictly higher
    score (at equal score its index is higher), and after a few chunks almost none do. One
    comparison pass is several times cheaper than ``torch.topk`` over the block, and taking
    every element above the threshold needs no tie handling. Buffers are fixed-size
    (``max(2k, 64)`` slots per row), so nothing waits on the device; the second value is a
    device flag, true when some row had more (adversarial order): the merged keys are then
    unusable and the caller redoes the query block.
    """
    import torch

    qb, dev = block.shape[0], block.device
    width = _width(k)
    found = _nonzero_static(block >= _entry_bound(best), qb * width)  # (S, 2) row-major, -1 padded
    rows, cols = found.unbind(1)
    rows = torch.where(rows >= 0, rows, qb)  # padding sorts last, into a spare row
    starts = torch.searchsorted(rows, torch.arange(qb + 1, device=dev))
    pos = torch.arange(rows.numel(), device=dev) - starts[rows]
    overflow = ((starts[1:] - starts[:-1]).max() > width) | (found[-1, 0] >= 0)
    rows = torch.where(pos < width, rows, qb)
    cols = cols.clamp(min=0)
    new = torch.full((qb + 1, width), _NO_KEY, device=dev, dtype=torch.long)
    new[rows, pos.clamp(max=width - 1)] = _keys(block[rows.clamp(max=qb - 1), cols], cols + c0)
    return torch.topk(torch.cat([best, new[:qb]], dim=1), k, dim=1).values, overflow


_GROUP = 64  # columns per group of the CPU pre-filter (see _merge_prefiltered)


def _merge_prefiltered(
    best: torch.Tensor, block: torch.Tensor, c0: int, k: int, stable_rows: int
) -> torch.Tensor | None:
    """CPU merge of a later chunk that looks only at groups able to beat the running k-th score.

    Each row's maximum over every group of 64 consecutive columns is one vectorised pass (about
    1% of the matrix product; groups of 16 or 32 do not vectorise and cost 30x more). Only
    groups whose maximum is strictly above the row's k-th score can hold a new entry: their
    elements above it become merge keys. As in :func:`_merge_above`, an element equal to the
    k-th score cannot enter (its index is higher), so no tie handling is needed. Rows with too
    many candidate groups take the exact full-row selection (:func:`_chunk_topk`); None means
    most rows would (the first chunks): the caller then merges the whole block with topk.
    """
    import torch

    qb, n = block.shape
    n_groups = n // _GROUP
    if n_groups < 4:
        return None
    body = n_groups * _GROUP
    width = _width(k)
    threshold = _entry_bound(best)  # (qb, 1) fp32: an element enters iff >= it
    groups = block[:, :body].view(qb, n_groups, _GROUP)
    top = groups.amax(dim=2)  # NaN where a group holds one: look inside
    hit = (top >= threshold) | torch.isnan(top)
    over = hit.sum(dim=1) > n_groups // 4
    rows, grp = (hit & ~over[:, None]).nonzero().unbind(1)  # row-major
    vals = groups[rows, grp]  # (G, 64)
    above = vals >= threshold[rows]
    if int(over.sum()) > qb // 4 or int(above.sum()) > qb * width:
        return None
    g_i, col = above.nonzero().unbind(1)  # sorted by g_i, hence by row
    r, cols = rows[g_i], grp[g_i] * _GROUP + col
    counts = torch.bincount(r, minlength=qb)
    if bool((counts > width).any()):  # a row with more candidates than slots: full selection
        over |= counts > width
        keep = ~over[r]
        r, cols = r[keep], cols[keep]
        counts = torch.bincount(r, minlength=qb)
    pos = torch.arange(r.numel()) - (torch.cumsum(counts, 0) - counts)[r]
    new = torch.full((qb, width), _NO_KEY, dtype=torch.long)
    new[r, pos] = _keys(block[r, cols], cols + c0)
    parts = [best, new]
    over_rows = over.nonzero().flatten()
    if over_rows.numel():
        s, i = _chunk_topk(block[over_rows], k, stable_rows)
        full = torch.full((qb, s.shape[1]), _NO_KEY, dtype=torch.long)
        full[over_rows] = _keys(s, i + c0)
        parts.append(full)
    if body < n:  # the last < 64 columns: candidates of every row not selected in full above
        tail = _keys(block[:, body:], torch.arange(body, n) + c0)
        tail[over_rows] = _NO_KEY
        parts.append(tail)
    return torch.topk(torch.cat(parts, dim=1), k, dim=1).values


def _width(k: int) -> int:
    """Threshold-merge slots per row: ~k new entries are expected in the second chunk."""
    return max(2 * k, 64)


def _nonzero_static(mask: torch.Tensor, size: int) -> torch.Tensor:
    """``nonzero`` padded with -1 to a fixed size (no host sync where torch supports it)."""
    import torch

    try:
        return torch.nonzero_static(mask, size=size, fill_value=-1)
    except (AttributeError, NotImplementedError, RuntimeError):  # older torch or backend
        found = mask.nonzero()[:size]
        pad = found.new_full((size - found.shape[0], 2), -1)
        return torch.cat([found, pad])


def topk_torch(
    queries: torch.Tensor,
    corpus: torch.Tensor,
    k: int,
    *,
    corpus_chunk: int = 16384,
    query_block: int = 1024,
    precision: Precision = "fp32",
    use_threshold: bool | None = None,
    cpu_merge: Literal["fused", "prefilter"] = "fused",
    bf16_prefilter: bool | None = None,
    stats: dict[str, int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k by inner product on whatever device the tensors live on. Returns (scores, indices).

    Rows are best first; equal scores keep the lower corpus index first, so results are
    deterministic. Scores come back as fp32 whatever the input dtype: each corpus chunk is cast
    on the fly, never the whole corpus. ``precision`` other than "fp32" trades exactness for
    tensor-core speed on CUDA ("tf32": fp32 inputs, 10-bit mantissa products; "bf16"/"fp16":
    inputs rounded to 16 bits, products accumulated and returned in fp32). ``use_threshold``
    picks the merge of later chunks: None (default) is the threshold merge on CUDA
    (:func:`_merge_above`) and the group pre-filter on CPU (:func:`_merge_prefiltered`); True
    forces the threshold merge, False a full ``torch.topk`` of every block (the plain path,
    kept for comparison).
    On CPU with ``use_threshold=None``, ``cpu_merge="fused"`` (default, when numba is
    installed) selects inside each score block in one compiled pass right after the product
    (:mod:`ir_harness.kernels.topk_select`); ``"prefilter"`` is the torch group pre-filter.
    ``bf16_prefilter`` (fused CPU path only): None (default) scores each block in bf16 first
    and re-scores in fp32 only what can be in the top-k (:mod:`ir_harness.kernels.prefilter`; output
    bit-identical) where the CPU has bf16 units, at least 32 queries and 4 chunks; True forces
    it on any CPU (tests), False never. ``stats`` receives its candidate and fall-back counts.
    """
    import torch

    n, nq = corpus.shape[0], queries.shape[0]
    k = max(0, min(k, n))
    device = queries.device
    if k == 0 or nq == 0:
        return (
            torch.zeros((nq, k), device=device, dtype=torch.float32),
            torch.zeros((nq, k), device=device, dtype=torch.long),
        )
    if n > _LOW:
        raise ValueError(f"corpus of {n} rows exceeds the 2**32 index range of the merge keys")
    mm_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    if mm_dtype != torch.float32 and device.type != "cuda":
        raise ValueError(f"precision={precision!r} needs CUDA (fp32 accumulation)")
    if (
        device.type == "cpu"
        and use_threshold is None
        and cpu_merge == "fused"
        and mm_dtype == torch.float32
        and n > corpus_chunk  # one block: a single torch.topk, no numba import needed
        and _has("numba")
    ):
        if _use_bf16(bf16_prefilter, nq, n, corpus.shape[1], corpus_chunk):
            from ir_harness.kernels.prefilter_select import topk_cpu_bf16

            return topk_cpu_bf16(queries, corpus, k, corpus_chunk, query_block, stats)
        from ir_harness.kernels.topk_select import topk_cpu_fused

        return topk_cpu_fused(queries, corpus, k, corpus_chunk, query_block)
    stable_rows = max(1, query_block // 32)
    # The threshold merge saves ~30% on CUDA; on CPU its comparison pass plus nonzero_static
    # is slower than torch.topk (4x on 2 cores), so CPU uses the group pre-filter by default.
    if use_threshold is None:
        merge: _Merge = "threshold" if device.type == "cuda" else "prefilter"
    else:
        merge = "threshold" if use_threshold else "topk"
    out_s, out_i = [], []
    with _tf32(precision == "tf32" and device.type == "cuda"):
        for q0 in range(0, nq, query_block):
            q = queries[q0 : q0 + query_block].to(mm_dtype)
            best, overflow = _best_keys(q, corpus, k, corpus_chunk, stable_rows, merge)
            if bool(overflow):  # one host sync per query block; rare: redo with topk merges
                best, _ = _best_keys(q, corpus, k, corpus_chunk, stable_rows, "topk")
            s, i = _unkeys(torch.sort(best, dim=1, descending=True).values)
            out_s.append(s)
            out_i.append(i)
    return torch.cat(out_s), torch.cat(out_i)


def _use_bf16(want: bool | None, nq: int, n: int, dim: int, corpus_chunk: int) -> bool:
    """Dispatch of the bf16 prefilter: by capability, size and a start-up bit-equality check."""
    if want is False:
        return False
    from ir_harness.kernels import prefilter

    if want is None and (
        nq < prefilter.MIN_ROWS or n < 4 * corpus_chunk or not prefilter.bf16_capable()
    ):
        return False
    return prefilter.rescore_reproducible(dim)


def _best_keys(
    q: torch.Tensor,
    corpus: torch.Tensor,
    k: int,
    corpus_chunk: int,
    stable_rows: int,
    merge: _Merge,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k merge keys of one query block over the whole corpus, and the overflow flag."""
    import torch

    best = torch.empty((q.shape[0], 0), device=q.device, dtype=torch.long)
    overflow = torch.zeros((), device=q.device, dtype=torch.bool)
    for c0 in range(0, corpus.shape[0], corpus_chunk):
        chunk = corpus[c0 : c0 + corpus_chunk].to(q.dtype)
        # (qb, chunk) fp32: the only large buffer.
        block = _mm_f32(q, chunk.T) if q.dtype != torch.float32 else q @ chunk.T
        del chunk
        merged = None
        if merge == "threshold" and best.shape[1] == k:
            merged, flag = _merge_above(best, block, c0, k)
            overflow |= flag
        elif merge == "prefilter" and best.shape[1] == k:
            merged = _merge_prefiltered(best, block, c0, k, stable_rows)
        if merged is not None:
            best = merged
        else:  # the first chunk(s), or the redo
            s, i = _chunk_topk(block, k, stable_rows)
            cand = torch.cat([best, _keys(s, i + c0)], dim=1)
            best = cand if cand.shape[1] <= k else torch.topk(cand, k, dim=1).values
        del block
    return best, overflow


def _mm_f32(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """16-bit inputs, fp32 accumulation and fp32 output (CUDA ``mm.dtype``, torch >= 2.8).

    Older torch falls back to a 16-bit output upcast, which rounds scores to 8 or 11 bits.
    """
    import torch

    try:
        return torch.mm(a, b, out_dtype=torch.float32)
    except (TypeError, RuntimeError, NotImplementedError):
        return (a @ b).float()


class _tf32:
    """Enable TF32 matmuls for a block and restore the previous setting."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self.prev = False

    def __enter__(self) -> None:
        if self.on:
            import torch

            self.prev = torch.backends.cuda.matmul.allow_tf32
            torch.backends.cuda.matmul.allow_tf32 = True

    def __exit__(self, *exc: object) -> None:
        if self.on:
            import torch

            torch.backends.cuda.matmul.allow_tf32 = self.prev


def topk_faiss(queries: np.ndarray, corpus: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """FAISS exact inner-product ``knn``; reads the corpus in place when it is contiguous fp32.

    FAISS returns the right scores, but which of several rows tied at the k-th place it keeps
    is unspecified (faiss 1.15 may keep a higher index). Rows are re-sorted by (score desc,
    index asc) so the order within what it returns matches the torch path.
    """
    import faiss

    s, i = faiss.knn(
        _as_f32(queries),
        _as_f32(corpus),
        min(k, corpus.shape[0]),
        metric=faiss.METRIC_INNER_PRODUCT,
    )
    order = np.lexsort((i, -s), axis=-1)
    return np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)


def exact_topk(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    *,
    device: str = "cpu",
    backend: Backend = "auto",
    corpus_chunk: int = 16384,
    bf16_prefilter: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k for float arrays; returns numpy (fp32 scores, int64 indices), best first.

    Contiguous fp32 input is read in place. On the CPU torch path other float dtypes and
    strided views are cast chunk by chunk; FAISS and CUDA need one fp32 copy of the corpus.
    """
    nq, n = queries.shape[0], corpus.shape[0]
    if n == 0 or nq == 0 or k <= 0:
        return np.zeros((nq, 0), np.float32), np.zeros((nq, 0), np.int64)
    if backend == "faiss" or (backend == "auto" and not _has("torch")):
        return topk_faiss(queries, corpus, k)
    import torch

    on_cpu = torch.device(device).type == "cpu"
    q = _as_tensor(queries, on_cpu).to(device)
    c = _as_tensor(corpus, on_cpu).to(device)
    s, i = topk_torch(q, c, k, corpus_chunk=corpus_chunk, bf16_prefilter=bf16_prefilter)
    return s.cpu().numpy(), i.cpu().numpy()


def _as_f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def _as_tensor(x: np.ndarray, keep_dtype: bool) -> torch.Tensor:
    """A zero-copy tensor view where torch can take one, else a contiguous fp32 copy."""
    import torch

    if keep_dtype and x.dtype in _TORCH_DTYPES and all(st >= 0 for st in x.strides):
        return torch.from_numpy(x)
    return torch.from_numpy(_as_f32(x))


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _has_faiss() -> bool:
    return _has("faiss")
