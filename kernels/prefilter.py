"""Exact CPU top-k at bf16 speed: a bf16 prefilter, an fp32 re-score, bit-identical output.

The fp32 path (:func:`ir_harness.kernels.topk_select.topk_cpu_fused`) is bounded by MKL's fp32 sgemm. Here each
score block is first computed from bf16-rounded inputs (oneDNN/MKL bf16 GEMM on CPUs with
``avx512_bf16`` or AMX, several times faster), and only documents that can still be in the fp32
top-k are re-scored in fp32.

Bound (why nothing is missed). For a query q and a document d of dimension K, write q~, d~ for
their bf16 roundings and dq = q - q~, dd = d - d~ (exact in fp32); u = 2**-8 (bf16 unit
roundoff), g = K*2**-24/(1 - K*2**-24) (fp32 summation of K terms in any order):

* q.d - q~.d~ = dq.d + q~.dd exactly, so rounding the inputs moves the dot product by at most
  ‖dq‖‖d‖ + ‖q~‖‖dd‖. The kernel measures the residual norms (per query, and per chunk the
  largest document residual, :func:`chunk_square_norms`); on real and random data they are
  about half the worst case u‖q‖, u‖d‖ (:func:`error_coefficient` keeps the worst case, 2u + u²);
* summing the (exact) bf16 products in fp32 adds at most g(1+u)²‖q‖‖d‖;
* the fp32 path's own score is within g‖q‖‖d‖ of the exact dot product (these two:
  :func:`accumulation_coefficient`, a = ~4.6e-5 at K = 384);
* rounding the fp32 sum b to the bf16 output r: |r - b| <= u|b| <= o|r|, o = u/(1-u);
* flushed or subnormal values (bf16 dot-product instructions flush them) add at most
  K*2**-124*(1 + ‖q‖ + ‖d‖) in absolute terms (A).

So an fp32 score s and its bf16 score r satisfy |s - r| <= E(q, d) + o|r|, with
E(q, d) = ‖dq‖‖d‖ + ‖q~‖‖dd‖ + a‖q‖‖d‖ + A. Every norm is an upper bound (float64 sums of exact
squares for queries, :func:`_sq_norm_bound` for documents); per chunk c the largest document
norm D_c and residual R_c, and D and R their maxima over the chunks whose bf16 scores are in the
query's heap (the chunks seen so far: :mod:`ir_harness.kernels.prefilter_select` runs the
selection piece by piece, in memory and streamed). Let t be a query's k-th largest bf16 score:
the k documents at or above it have s >= r - o|r| - E(q, D, R) >= t - o|t| - E(q, D, R) (r - o|r|
grows with r), so the fp32 k-th score T is at least that, and a document of the fp32 top-k
(s >= T) in chunk c has r + o|r| >= t - o|t| - m_c, m_c = ‖dq‖(D + D_c) + ‖q~‖(R + R_c) +
a‖q‖(D + D_c) + 2A (:meth:`QueryNorms.margin`). Every such document is recorded (against the
k-th bf16 score after its own block, which only grows, so none is lost), pruned against the
final t, re-scored in fp32 and selected under the rule of :mod:`ir_harness.kernels.order`.
Thresholds are computed in float64 and lowered by a few ulps.

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
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numba import njit

from ir_harness.kernels.cpu_units import cpu_flags, has_units
from ir_harness.kernels.topk_select import _sift_down

if TYPE_CHECKING:
    import torch

MIN_ROWS = 32  # query rows and document columns of every re-scoring sgemm (see module doc)
MIN_COLS = 32
_HUGE = 2.0**100  # ‖q‖‖d‖ above this: bf16 or fp32 could overflow, fall back
_NORM_INFLATE = 1.0 + 2.0**-40  # float64 norms of <= 2**20 terms: relative error < 2**-42


def _sq_norm_bound(sq: float, dim: int) -> float:
    """An upper bound on a true Euclidean norm from an fp32 sum of K fp32 squares ``sq``.

    Rounding the K squares and summing them in any order (the kernel lets the compiler
    reassociate) is within g = (K+1)*2**-24/(1 - (K+1)*2**-24) relative; each square that
    underflows (or is flushed) loses < 2**-126; the float64 square root here adds < 2**-50.
    """
    g = (dim + 1) * 2.0**-24 / (1.0 - (dim + 1) * 2.0**-24)
    return math.sqrt(sq * (1 + g) + dim * 2.0**-126) * (1 + 2.0**-40)


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def chunk_square_norms(x, bits):  # type: ignore[no-untyped-def]
    """The largest fp32 sum of squares of a row of ``x`` (inf if some row is not finite) and
    the largest of its bf16 rounding residual, x - bf16(x); ``bits`` is x's int32 view.

    bf16(x) is rounded to nearest even on the bits. torch rounds the same way, and where it
    differs (subnormals flushed) a component moves by < 2**-126, which
    :func:`_sq_norm_bound` covers; the residual is exact in fp32 (Sterbenz). Only the sums
    are reassociated (so they vectorise): no other expression here has a second order.
    """
    rows, dim = x.shape
    rb = np.empty(dim, np.int32)
    rf = rb.view(np.float32)
    smax = np.float32(0.0)
    tmax = np.float32(0.0)
    for i in range(rows):
        for j in range(dim):
            b = bits[i, j]
            rb[j] = (b + np.int32(0x7FFF) + ((b >> np.int32(16)) & np.int32(1))) & np.int32(-65536)
        s = np.float32(0.0)
        t = np.float32(0.0)
        for j in range(dim):
            v = x[i, j]
            d = v - rf[j]
            s += v * v
            t += d * d
        if not s <= smax:
            smax = s if s == s else np.float32(np.inf)  # NaN: not finite
        if t > tmax:
            tmax = t
    return smax, tmax


def _tick(st: dict[str, Any], name: str, t0: float) -> float:
    """Add the seconds since ``t0`` to ``st[name]``; returns now."""
    now = time.perf_counter()
    st[name] = st.get(name, 0.0) + now - t0
    return now


def accumulation_coefficient(dim: int) -> float:
    """The relative part of the bound that rounding the inputs does not cover, rounded up: the
    bf16 path's fp32 sum of K exact products, g(1+u)^2, and the fp32 path's own, g."""
    u = 2.0**-8
    g = dim * 2.0**-24 / (1.0 - dim * 2.0**-24)
    return (g * (1 + u) ** 2 + g) * (1 + 2.0**-20)


def error_coefficient(dim: int) -> float:
    """The worst-case relative term e of E <= e‖q‖‖d‖ + o|r| + A: inputs rounded to bf16 move
    a dot product by at most (2u + u²)‖q‖‖d‖, plus :func:`accumulation_coefficient`. The kernel
    uses the measured rounding residuals instead (module doc), about half of this."""
    u = 2.0**-8
    return (2 * u + u * u) * (1 + 2.0**-20) + accumulation_coefficient(dim)


def absolute_term(dim: int, qnorm: np.ndarray, dmax: float) -> np.ndarray:
    """The absolute term A of the bound (subnormals and flush-to-zero), per query."""
    return dim * 2.0**-124 * (1.0 + qnorm + dmax)


def chunk_bounds(x: np.ndarray) -> tuple[float, float]:
    """Upper bounds on the largest norm of a row of fp32 ``x`` (inf where some row is not
    finite or the norm is over 2**100) and on its largest bf16 rounding residual."""
    dim = x.shape[1]
    sq, rsq = chunk_square_norms(x, x.view(np.int32))
    m = _sq_norm_bound(float(sq), dim)
    return (m if math.isfinite(m) and m <= _HUGE else math.inf), _sq_norm_bound(float(rsq), dim)


class QueryNorms(NamedTuple):
    """Per query of a block: upper bounds on ‖q‖ (``norm``), ‖q - bf16(q)‖ (``res``) and
    ‖bf16(q)‖ (``rounded``), and the accumulation coefficient."""

    norm: np.ndarray
    res: np.ndarray
    rounded: np.ndarray
    acc: float
    dim: int

    def margin(self, d_run: float, r_run: float, d_c: float, r_c: float, rows: Any) -> np.ndarray:
        """How far below the k-th bf16 score (beyond the output rounding) a document of a chunk
        with norm and residual bounds ``d_c``, ``r_c`` may score in bf16 and still be in the
        fp32 top-k, for the given rows; ``d_run``, ``r_run`` bound the documents of the heap
        (D and R of the module doc)."""
        d = d_run + d_c
        norm = self.norm[rows]
        return (
            self.res[rows] * d
            + self.rounded[rows] * (r_run + r_c)
            + self.acc * norm * d
            + 2 * absolute_term(self.dim, norm, d_run)
        )


def _query_norms(q: torch.Tensor) -> QueryNorms:
    """Float64 norms of fp32 values (each square exact), inflated for the float64 sum; plus
    sqrt(K)*2**-60 for components a flush could drop."""
    import torch

    dim = q.shape[1]
    tiny = math.sqrt(dim) * 2.0**-60

    def norm(x: torch.Tensor) -> np.ndarray:
        return (
            torch.linalg.vector_norm(x, dim=1, dtype=torch.float64).numpy() * _NORM_INFLATE + tiny
        )

    qn = norm(q)
    with np.errstate(invalid="ignore", over="ignore"):
        rounded = q.to(torch.bfloat16).to(torch.float32)
        res, rn = norm(q - rounded), norm(rounded)
    return QueryNorms(qn, res, rn, accumulation_coefficient(dim), dim)


def bf16_capable() -> bool:
    """True on CPUs with bf16 dot-product units (avx512_bf16 or AMX) that torch can use."""
    try:
        import torch

        cap = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001 - no torch or an old one: no prefilter
        return False
    if "AVX512" not in cap.upper():
        return False
    flags = cpu_flags()
    return flags is not None and has_units("bf16", flags)


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


_LANES = 32  # groups per row scan: column i, i + G, ..., i + 31G (G = cols // 32)


@njit(cache=True, inline="always")
def _strided_max(row, gmax, stride):  # type: ignore[no-untyped-def]
    """``gmax[i]`` = the largest raw int16 of ``row[i], row[i + stride], ..., row[i + 31*stride]``.

    Strided groups make this an element-wise maximum of 32 contiguous slices, which vectorises
    fully (32 int16 lanes per instruction); contiguous groups of 32 need a horizontal reduction
    per group and measured 9x slower. ``max(gmax[i], 0)`` bounds the group's largest key from
    above: positive bf16 bits order like their values, and a group whose raw maximum is
    negative holds only negative values (keys <= 0).
    """
    for i in range(stride):
        gmax[i] = row[i]
    for t in range(1, _LANES):
        base = t * stride
        for i in range(stride):
            v = row[base + i]
            m = gmax[i]
            gmax[i] = v if v > m else m


@njit(cache=True, inline="always")
def _push(keys, idx, r, kv, col, k):  # type: ignore[no-untyped-def]
    """Replace the heap's worst entry by (kv, col); returns the new worst key."""
    keys[r, 0] = kv
    idx[r, 0] = col
    _sift_down(keys, idx, r, 0, k)
    return keys[r, 0]


@njit(cache=True, nogil=True)
def collect_block(ab, c0, keys, idx, filled, margin, rec_col, rec_key, count):  # type: ignore[no-untyped-def]
    """Fold one bf16 score block (int16 bits, rows x cols) into the rows' approximate top-k
    heaps (:func:`_k16` keys), then record every column whose bf16 score can still belong to
    the fp32 top-k given the row's k-th bf16 score after this block (``margin`` per row);
    returns False when some row's record buffer overflowed.

    Per row (it stays in cache): the strided group maxima (:func:`_strided_max`) once, then
    the heap pass and the record pass each visit only the groups whose bound can pass. The
    heap's k-th key is the k-th largest key of all columns folded so far whatever the order
    they come in, so the strided order changes no threshold; recorded columns are not sorted.
    """
    rows, cols = ab.shape
    k = keys.shape[1]
    cap = rec_col.shape[1]
    stride = cols // _LANES
    body = stride * _LANES  # columns covered by the groups; the rest is scanned one by one
    gmax = np.empty(max(stride, 1), np.int16)
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
        _strided_max(row, gmax, stride)
        if n == k:
            worst = keys[r, 0]
            for i in range(stride):
                if max(np.int32(gmax[i]), np.int32(0)) > worst:
                    for jj in range(i, body, stride):
                        if jj >= j:
                            kv = _k16(row[jj])
                            if kv > worst:
                                worst = _push(keys, idx, r, kv, c0 + jj, k)
            for jj in range(max(body, j), cols):
                kv = _k16(row[jj])
                if kv > worst:
                    worst = _push(keys, idx, r, kv, c0 + jj, k)
            rk = _record_key(worst, margin[r])
        else:
            rk = np.int32(-(2**31))  # heap not full yet: every column is a candidate
        cnt = 0
        for i in range(stride + 1):
            if i < stride:
                if max(np.int32(gmax[i]), np.int32(0)) < rk:
                    continue
                lo, hi, step = i, body, stride
            else:
                lo, hi, step = body, cols, 1
            for jj in range(lo, hi, step):
                kv = _k16(row[jj])
                if kv >= rk:
                    if cnt < cap:
                        rec_col[r, cnt] = jj
                        rec_key[r, cnt] = kv
                    cnt += 1
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
