"""Exact CPU top-k at bf16 speed: a bf16 prefilter, an fp32 re-score, bit-identical output.

The fp32 path (:func:`ir_harness.kernels.topk_select.topk_cpu_fused`) is bounded by MKL's fp32 sgemm. Here each
score block is first computed from bf16-rounded inputs (oneDNN/MKL bf16 GEMM on CPUs with
``avx512_bf16`` or AMX, several times faster), and only documents that can still be in the fp32
top-k are re-scored in fp32.

Bound (why nothing is missed). For a query q and a document d of dimension K, with u = 2**-8
(bf16 unit roundoff) and g = K*2**-24/(1 - K*2**-24) (fp32 summation of K terms in any order):

* rounding the inputs to bf16 moves the exact dot product by at most (2u + u²)‖q‖‖d‖;
* summing the (exact) bf16 products in fp32 adds at most g(1+u)²‖q‖‖d‖;
* the fp32 path's own score is within g‖q‖‖d‖ of the exact dot product;
* rounding the fp32 sum a to the bf16 output r: |r - a| <= u|a| <= o|r|, o = u/(1-u);
* flushed or subnormal values (bf16 dot-product instructions flush them) add at most
  K*2**-124*(1 + ‖q‖ + ‖d‖) in absolute terms (A).

So an fp32 score s and its bf16 score r satisfy |s - r| <= e‖q‖‖d‖ + o|r| + A, e the sum of
the relative terms (:func:`error_coefficient`, ~0.0079 at K = 384). Norms are upper bounds
(:func:`_norm_bound`; per chunk, their maximum D_c, and D the corpus maximum). Let t be a
query's k-th largest bf16 score: the k documents at or above it have s >= r - o|r| - e‖q‖D - A
>= t - o|t| - e‖q‖D - A (r - o|r| grows with r), so the fp32 k-th score T is at least that,
and a document of the fp32 top-k (s >= T) in chunk c has r + o|r| >= t - o|t| - e‖q‖(D + D_c)
- 2A. Every such document is recorded (against the k-th bf16 score after its own block, which
only grows, so none is lost), pruned against the final t, re-scored in fp32 and selected under
the rule of :mod:`ir_harness.kernels.order`. Thresholds are computed in float64 and lowered by a few ulps.

Same bits as the fp32 path. A candidate's fp32 score must be the very bits the fp32 path's
sgemm of (query block x 16384-row chunk) wrote. MKL's sgemm gives each element the same
arithmetic whatever the matrix shape once both the row and column counts are at least ~17 on
this machine (M or N of 1-2 take other code paths): so candidates are re-scored by an sgemm of
at least 32 query rows by at least 32 gathered document rows. :func:`rescore_reproducible`
checks that equality on random data at start-up (per dimension and thread count) and, if it
fails on some other BLAS or CPU, the prefilter is switched off and the fp32 path runs.

Fallbacks (exact, just slower): a query block under 32 rows, a non-finite or huge query (norm
product over 2**100: bf16 could overflow), a chunk with a non-finite or huge row or under 32
rows, or a chunk where some query records more candidates than its buffer holds (degenerate
data, e.g. many equal scores): that chunk is scored in fp32 by the same call as the fp32 path
and selected exactly. After half of a block's first chunks fell back the rest go fp32 directly.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from ir_harness.kernels.order import key_scores, order_keys, score_keys
from ir_harness.kernels.topk_select import _sift_down, select_rows, thread_pool, topk_cpu_fused

if TYPE_CHECKING:
    import torch

MIN_ROWS = 32  # query rows and document columns of every re-scoring sgemm (see module doc)
MIN_COLS = 32
_GROUP_ROWS = 64  # query rows per re-scoring sgemm
_HUGE = 2.0**100  # ‖q‖‖d‖ above this: bf16 or fp32 could overflow, fall back
_NORM_INFLATE = 1.0 + 2.0**-40  # float64 norms of <= 2**20 terms: relative error < 2**-42
_GROUP = 32


def _norm_bound(computed: float, dim: int) -> float:
    """An upper bound on a true Euclidean norm from torch's fp32 one.

    Any fp32 summation of the K squares is within g = K*2**-24/(1 - K*2**-24) relative, each
    square that underflows (or is flushed) loses < 2**-126, the square root and the float64
    arithmetic here add < 2**-22 relative.
    """
    g = dim * 2.0**-24 / (1.0 - dim * 2.0**-24)
    return math.sqrt(computed * computed * (1 + g) + dim * 2.0**-126) * (1 + 2.0**-22)


def _tick(st: dict[str, Any], name: str, t0: float) -> float:
    """Add the seconds since ``t0`` to ``st[name]``; returns now."""
    now = time.perf_counter()
    st[name] = st.get(name, 0.0) + now - t0
    return now


def error_coefficient(dim: int) -> float:
    """The relative term e of E = e‖q‖‖d‖ + o|r| + A (module doc), rounded up: input
    rounding, fp32 sums of both paths. The output rounding o|r| is kept apart (:data:`_OUT`)."""
    u = 2.0**-8
    g = dim * 2.0**-24 / (1.0 - dim * 2.0**-24)
    inputs = 2 * u + u * u
    acc = g * (1 + u) ** 2
    return (inputs + acc + g) * (1 + 2.0**-20)


def absolute_term(dim: int, qnorm: np.ndarray, dmax: float) -> np.ndarray:
    """The absolute term A of the bound (subnormals and flush-to-zero), per query."""
    return dim * 2.0**-124 * (1.0 + qnorm + dmax)


def bf16_capable() -> bool:
    """True on CPUs with bf16 dot-product units (avx512_bf16 or AMX) that torch can use."""
    try:
        import torch

        cap = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001 - no torch or an old one: no prefilter
        return False
    if "AVX512" not in cap.upper():
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


_REPRO: dict[tuple[int, int], bool] = {}


def rescore_reproducible(dim: int) -> bool:
    """Whether a small gathered sgemm reproduces the full block's bits (cached per dim/threads).

    Compares a 256 x 4096 fp32 product with products of 32- and 64-row subsets by 32- and
    333-column subsets of it; any difference in any bit switches the prefilter off.
    """
    import torch

    key = (dim, torch.get_num_threads())
    if key not in _REPRO:
        g = torch.Generator().manual_seed(dim)
        q = torch.randn(256, dim, generator=g)
        d = torch.randn(4096, dim, generator=g)
        full = (q @ d.T).view(torch.int32)
        ok = True
        with _one_thread():  # re-scoring runs its small products single-threaded
            for m, n in ((64, 32), (32, 333), (64, 333)):
                rows = torch.randperm(256, generator=g)[:m].sort().values
                cols = torch.randperm(4096, generator=g)[:n].sort().values
                sub = (q[rows].contiguous() @ d[cols].T).view(torch.int32)
                ok &= bool((sub == full[rows][:, cols]).all())
        _REPRO[key] = ok
    return _REPRO[key]


class _one_thread:
    """torch's intra-op threads set to 1 for a block, then restored.

    Small products and gathers with 2 OpenMP threads on a busy 2-core machine waited ~50x
    longer than single-threaded ones (a descheduled thread stalls the team's barrier); the
    re-scoring runs them one per pool thread instead.
    """

    def __enter__(self) -> None:
        import torch

        self.prev = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self.prev)


_OUT = 2.0**-8 / (1 - 2.0**-8)  # bf16 output rounding, relative to the rounded score itself


@njit(cache=True, inline="always")
def _k16(b: np.int16) -> np.int32:
    """Order-preserving key of bf16 bits (finite values; -0.0 lifted to +0.0's key 0)."""
    x = np.int32(b)
    t = x ^ ((x >> np.int32(31)) & np.int32(0x7FFF))
    return t + np.int32(t == -1)


@njit(cache=True, inline="always")
def _k16_value(key: np.int32) -> float:
    """The bf16 value (as float64) of a :func:`_k16` key."""
    b = np.empty(1, dtype=np.int32)
    b[0] = (key ^ ((key >> np.int32(31)) & np.int32(0x7FFF))) << np.int32(16)
    return np.float64(b.view(np.float32)[0])


@njit(cache=True, inline="always")
def _floor_value(t: float, margin: float) -> float:
    """Lowest bf16 score a document of the fp32 top-k can have, given the k-th bf16 score t.

    (module doc) r + o|r| >= t - o|t| - margin, o the output rounding term; solved for r and
    lowered by a few float64 ulps so the float64 arithmetic here never loses a candidate.
    """
    y = t - _OUT * abs(t) - margin
    r = y / (1.0 + _OUT) if y >= 0 else y / (1.0 - _OUT)
    return r - abs(r) * 2.0**-48 - 1e-300


@njit(cache=True)
def _record_key(worst: np.int32, margin: float) -> np.int32:
    """A key at or below that of every bf16 value >= the floor of :func:`_floor_value`."""
    f = _floor_value(_k16_value(worst), margin)
    x = np.float32(f)
    if np.float64(x) > f:
        x = np.nextafter(x, np.float32(-np.inf))
    b = np.empty(1, dtype=np.float32)
    b[0] = x
    bits = b.view(np.int32)[0]
    hi = np.int16(bits >> np.int32(16))  # truncation: down for positive, up for negative
    return _k16(hi) - np.int32(2)  # two keys below: covers the negative case and -0.0


@njit(cache=True, inline="always")
def _group_top(row, j, stop, raw):  # type: ignore[no-untyped-def]
    """Largest key in ``row[j:stop]``; with ``raw``, the largest raw int16 instead.

    The raw maximum equals the largest key whenever that key is positive (positive bf16 bits
    order like their values and negative ones are negative as int16), so a caller comparing
    against a positive threshold can use it: int16 lanes vectorise 4x wider than the keys,
    which numba widens to int64.
    """
    if raw:
        t16 = np.int16(-(2**15))
        for jj in range(j, stop):
            v = row[jj]
            t16 = v if v > t16 else t16
        return np.int32(t16)
    top = np.int32(-(2**31))
    for jj in range(j, stop):
        kv = _k16(row[jj])
        top = kv if kv > top else top
    return top


@njit(cache=True, nogil=True)
def collect_block(ab, c0, keys, idx, filled, margin, rec_col, rec_key, count):  # type: ignore[no-untyped-def]
    """Fold one bf16 score block (int16 bits, rows x cols) into the rows' approximate top-k
    heaps (:func:`_k16` keys), then record every column whose bf16 score can still belong to
    the fp32 top-k given the row's k-th bf16 score after this block (``margin`` per row);
    returns False when some row's record buffer overflowed.

    Two passes per row (the row is in cache): the heap first, so the record threshold is the
    highest this block allows; each pass skips groups of 32 columns whose maximum cannot pass
    (on raw int16 bits while the threshold is positive, see :func:`_group_top`). A torch
    ``amax`` for the group maxima measured slower than this scan (1.3 s against 0.1 s saved).
    """
    rows, cols = ab.shape
    k = keys.shape[1]
    cap = rec_col.shape[1]
    ok = True
    for r in range(rows):
        row = ab[r]
        n = filled[r]
        j = 0
        while n < k and j < cols:  # fill, then heapify once full
            keys[r, n] = _k16(row[j])
            idx[r, n] = c0 + j
            n += 1
            j += 1
            if n == k:
                for p in range(k // 2 - 1, -1, -1):
                    _sift_down(keys, idx, r, p, k)
        filled[r] = n
        if n == k:
            worst = keys[r, 0]
            while j < cols:
                stop = min(j + _GROUP, cols)
                top = _group_top(row, j, stop, worst >= 0)
                if top > worst:
                    for jj in range(j, stop):
                        kv = _k16(row[jj])
                        if kv > worst:
                            keys[r, 0] = kv
                            idx[r, 0] = c0 + jj
                            _sift_down(keys, idx, r, 0, k)
                            worst = keys[r, 0]
                j = stop
            rk = _record_key(worst, margin[r])
        else:
            rk = np.int32(-(2**31))  # heap not full yet: every column is a candidate
        cnt = 0
        j = 0
        while j < cols:
            stop = min(j + _GROUP, cols)
            top = _group_top(row, j, stop, rk >= 1)  # rk 0 would admit -0.0 (raw < 0)
            if top >= rk:
                for jj in range(j, stop):
                    kv = _k16(row[jj])
                    if kv >= rk:
                        if cnt < cap:
                            rec_col[r, cnt] = jj
                            rec_key[r, cnt] = kv
                        cnt += 1
            j = stop
        if cnt > cap:
            ok = False
        count[r] = min(cnt, cap)
    return ok


def _values16(keys: np.ndarray) -> np.ndarray:
    """float64 values of :func:`_k16` keys (numpy)."""
    k = keys.astype(np.int32)
    bits = ((k ^ ((k >> 31) & 0x7FFF)) << 16).astype(np.int32)
    return bits.view(np.float32).astype(np.float64)


def _floors(t: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """:func:`_floor_value` over arrays."""
    y = t - _OUT * np.abs(t) - margin
    r = np.where(y >= 0, y / (1.0 + _OUT), y / (1.0 - _OUT))
    return r - np.abs(r) * 2.0**-48 - 1e-300


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

    nq, n = queries.shape[0], corpus.shape[0]
    dim = corpus.shape[1]
    st = stats if stats is not None else {}
    for name in ("candidates", "queries", "chunk_blocks", "fallback_blocks"):
        st.setdefault(name, 0)
    starts = list(range(0, n, corpus_chunk))
    dn_max = np.zeros(len(starts))  # per chunk: max float64 document norm (inf: not finite)
    t0 = time.perf_counter()
    for c, c0 in enumerate(starts):
        chunk = corpus[c0 : c0 + corpus_chunk].to(torch.float32)
        m = _norm_bound(float(torch.linalg.vector_norm(chunk, dim=1).max()), dim)
        dn_max[c] = m if math.isfinite(m) and m <= _HUGE else math.inf
    _tick(st, "s_norms", t0)
    usable = np.isfinite(dn_max) & (np.diff([*starts, n]) >= MIN_COLS)
    d_all = float(dn_max[usable].max()) if usable.any() else 0.0
    e = error_coefficient(dim)
    out_s, out_i = [], []
    for q0 in range(0, nq, query_block):
        q = queries[q0 : q0 + query_block].to(torch.float32).contiguous()
        qn = torch.linalg.vector_norm(q, dim=1, dtype=torch.float64).numpy() * _NORM_INFLATE
        qn = qn + math.sqrt(dim) * 2.0**-60  # as in _norm_bound: subnormal components
        rows = q.shape[0]
        st["queries"] += rows
        if (
            rows < MIN_ROWS
            or not np.isfinite(qn).all()
            or float(qn.max()) > _HUGE
            or float(qn.max()) * d_all > _HUGE
        ):
            s, i = topk_cpu_fused(q, corpus, k, corpus_chunk, query_block)
            st["chunk_blocks"] += len(starts)
            st["fallback_blocks"] += len(starts)
            out_s.append(s)
            out_i.append(i)
            continue
        s, i = _block(q, qn, corpus, k, starts, corpus_chunk, dn_max, usable, d_all, e, st)
        out_s.append(s)
        out_i.append(i)
    return torch.cat(out_s), torch.cat(out_i)


def _block(q, qn, corpus, k, starts, corpus_chunk, dn_max, usable, d_all, e, st):  # type: ignore[no-untyped-def]
    """One query block: bf16 pass with recording, fp32 fall-back chunks, re-score, select."""
    from functools import partial

    import torch

    rows, dim = q.shape
    n = corpus.shape[0]
    threads = max(1, torch.get_num_threads())
    pool = thread_pool(threads)
    step = -(-rows // threads)
    slices = [slice(a, a + step) for a in range(0, rows, step)]
    kk = min(k, n)
    a_keys = np.empty((rows, kk), np.int32)
    a_idx = np.empty((rows, kk), np.int64)
    a_filled = np.zeros(rows, np.int64)
    x_keys = np.empty((rows, kk), np.int32)  # exact heaps of the fp32 (fall-back) chunks
    x_idx = np.empty((rows, kk), np.int64)
    x_filled = np.zeros(rows, np.int64)
    cap = max(8 * kk, 1024)
    rec_col = np.empty((rows, cap), np.int32)
    rec_key = np.empty((rows, cap), np.int32)
    absterm = absolute_term(dim, qn, d_all)
    qb16 = q.to(torch.bfloat16)
    recorded: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    fell = 0
    for c, c0 in enumerate(starts):
        chunk = corpus[c0 : c0 + corpus_chunk]
        st["chunk_blocks"] += 1
        exact = not usable[c] or (c >= 4 and fell * 2 > c)
        if not exact:
            margin = e * qn * (d_all + dn_max[c]) + 2 * absterm
            t0 = time.perf_counter()
            ab = (qb16 @ chunk.to(torch.bfloat16).T).view(torch.int16).numpy()
            t0 = _tick(st, "s_bf16_mm", t0)
            count = np.zeros(rows, np.int64)
            args = (ab, c0, a_keys, a_idx, a_filled, margin, rec_col, rec_key, count)
            if pool is None or len(slices) == 1:
                ok = _collect_rows(args, slice(None))
            else:
                ok = all(pool.map(partial(_collect_rows, args), slices))
            _tick(st, "s_collect", t0)
            if ok:
                r = np.repeat(np.arange(rows), count)
                sel = np.arange(cap)[None, :] < count[:, None]
                recorded.append((c, r, rec_col[sel].copy(), rec_key[sel].copy()))
            else:
                exact = True
        if exact:
            fell += 1
            st["fallback_blocks"] += 1
            t0 = time.perf_counter()
            block = (q @ chunk.to(torch.float32).T).numpy()  # the fp32 path's very call
            args = (block, block.view(np.int32), c0, x_keys, x_idx, x_filled)
            if pool is None or len(slices) == 1:
                select_rows(args, slice(None))
            else:
                list(pool.map(partial(select_rows, args), slices))
            _tick(st, "s_fp32_chunks", t0)
    # prune against each row's final k-th approximate score, then re-score in fp32
    full = a_filled == kk
    worst_v = _values16(a_keys.min(axis=1))
    parts_r, parts_i, parts_s = [], [], []
    jobs = []
    for c, r, col, key in recorded:
        margin = e * qn[r] * (d_all + dn_max[c]) + 2 * absterm[r]
        keep = ~full[r] | (_values16(key) >= _floors(worst_v[r], margin))
        r, col = r[keep], col[keep]
        if not len(r):
            continue
        s = np.empty(len(r), np.float32)
        width = min(corpus_chunk, n - starts[c])
        jobs += _rescore_jobs(q, corpus, starts[c], width, r, col, s)
        parts_r.append(r)
        parts_i.append(col.astype(np.int64) + starts[c])
        parts_s.append(s)
    t0 = time.perf_counter()
    with _one_thread():
        if pool is None:
            for job in jobs:
                job()
        else:
            list(pool.map(lambda job: job(), jobs))
    t0 = _tick(st, "s_rescore", t0)
    st["candidates"] += int(sum(len(p) for p in parts_r))
    nx = int(x_filled[0]) if rows else 0
    if nx:
        parts_r.append(np.repeat(np.arange(rows), nx))
        parts_i.append(x_idx[:, :nx].ravel())
        parts_s.append(key_scores(x_keys[:, :nx].ravel()))
    r = np.concatenate(parts_r)
    i = np.concatenate(parts_i)
    s = np.concatenate(parts_s).astype(np.float32)
    okey = order_keys(s, i)
    order = np.lexsort((-okey, r))
    r, i, s = r[order], i[order], s[order]
    first = np.searchsorted(r, np.arange(rows))
    take = first[:, None] + np.arange(kk)[None, :]
    if not (np.bincount(r, minlength=rows) >= kk).all():  # cannot happen (module doc); if it
        # ever did, the fp32 path answers instead

        st["fallback_blocks"] += len(starts) - fell
        return topk_cpu_fused(q, corpus, k, corpus_chunk, rows)
    out_s = key_scores(score_keys(s[take]))
    _tick(st, "s_select", t0)
    return torch.from_numpy(out_s.reshape(rows, kk)), torch.from_numpy(i[take].reshape(rows, kk))


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


def _rescore_jobs(q, corpus, c0, width, r, col, out):  # type: ignore[no-untyped-def]
    """Jobs writing into ``out`` the fp32 scores of (query row, chunk column) pairs (``r`` is
    sorted), each bit-equal to the full-block sgemm's.

    Query rows go in groups of 64 (the last group overlaps the previous one so it too has at
    least 32 rows); each group is one sgemm against the union of its columns, padded to at
    least 32 columns of the chunk.
    """
    import torch

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
            docs = corpus[c0 + torch.from_numpy(cols.astype(np.int64))].to(torch.float32)
            block = (q[lo : lo + g] @ docs.T).numpy()
            out[p0:p1] = block[r[p0:p1] - lo, np.searchsorted(cols, cc)]

        jobs.append(job)
    return jobs
