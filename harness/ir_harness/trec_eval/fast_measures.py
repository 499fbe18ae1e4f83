"""trec_eval's measures over a block of queries at once (rows of a ``fast_judged.Matrix``).

Each function returns one row of values per query, bit for bit what ``measures`` computes for
that query: running sums are ``cumsum`` along the ranks (sequential, in rank order; the ranks
a reference loop skips add 0.0, which changes no sum here), the same operations in the same
order, and ``log``/``log2`` taken from Python's ``math`` (C's libm), never numpy's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from ir_harness.trec_eval.cmath_ops import NEG_NAN, clog, clog2, fdiv
from ir_harness.trec_eval.fast_judged import PAD as PAD_MARK
from ir_harness.trec_eval.judged import NONPOOL, UNJUDGED
from ir_harness.trec_eval.measures import INFAP_EPSILON, MIN_GEO_MEAN, _c_long

Array = np.ndarray
LOG2_TABLE_MAX = 1 << 20


@lru_cache(maxsize=8)
def _log2_table(n: int) -> Array:
    out = np.array([math.log2(i) if i > 0 else -math.inf for i in range(n)])
    out.setflags(write=False)
    return out


class Block:
    """A block of queries and the running counts and sums several measures share."""

    def __init__(self, m: Any, rows: slice, level: int, num_docs: int) -> None:
        self.rel: Array = m.rel[rows]
        self.n: Array = m.num_ret[rows]
        self.nrel: Array = m.num_rel[rows]
        self.nrr: Array = m.num_rel_ret[rows]
        self.nonpool: Array = m.num_nonpool[rows]
        self.unjudged: Array = m.num_unjudged[rows]
        self.num_nonrel: Array = m.num_nonrel[rows]
        self.nrl: Array = m.num_rel_levels[rows]
        self.counts: Array = m.level_counts[rows]
        self.level = level
        self.num_docs = num_docs
        self.q, self.r = self.rel.shape
        self.ranks = np.arange(self.r)
        self.qs = np.arange(self.q)
        self.memo: dict[Any, Array] = {}

    @cached_property
    def isrel(self) -> Array:
        """Ranks holding a document judged at or above the relevance level (trec_eval's ``-l``)."""
        return self.rel >= self.level

    @cached_property
    def relcnt0(self) -> Array:
        """Relevant documents among the first ``i`` ranks, for ``i`` in 0..R."""
        out = np.zeros((self.q, self.r + 1), dtype=np.int64)
        np.cumsum(self.isrel, axis=1, out=out[:, 1:])
        return out

    def at(self, table: Array, cut: int | Array) -> Array:
        """``table[q, min(cut, num_ret)]`` for every query."""
        return table[self.qs, np.minimum(cut, self.n)]

    @cached_property
    def ap_cum0(self) -> Array:
        """Precision summed at each relevant rank among the first ``i``, ``i`` in 0..R: map and
        map_cut read it."""
        found = self.relcnt0[:, 1:]
        terms = np.where(self.isrel, found / (self.ranks + 1), 0.0)
        return _cum0(terms)

    @cached_property
    def ap_total(self) -> Array:
        """Precision summed over every relevant rank retrieved: AP before ``/ num_rel``."""
        return self.ap_cum0[:, -1]

    @cached_property
    def found(self) -> Array:
        """Relevant documents in the ranks; map, recip_rank and binG are 0.0 where it is 0."""
        return self.relcnt0[:, -1]

    @cached_property
    def log2(self) -> Array:
        """``math.log2(i + 2)`` for every rank (and enough ideal ranks)."""
        return _log2_table(max(self.r, self.kmax) + 3)[2:]

    @cached_property
    def ideal(self) -> Array:
        """Positive grades the ideal ranking holds, highest first, 0.0 past them; at least
        R columns wide."""
        g = self.counts.shape[1]
        k = self.kcount
        width = max(self.r, int(k.max()) if self.q else 0, 1)
        out = np.zeros((self.q, width))
        pos = np.zeros(self.q, dtype=np.int64)
        for lvl in range(g - 1, 0, -1):
            c = np.where(lvl < self.nrl, self.counts[:, lvl], 0)
            for qi in np.flatnonzero(c).tolist():
                out[qi, pos[qi] : pos[qi] + c[qi]] = float(lvl)
            pos += c
        return out

    @cached_property
    def kcount(self) -> Array:
        """How many positive-grade documents the ideal ranking has."""
        g = self.counts.shape[1]
        valid = np.arange(g)[None, :] < self.nrl[:, None]
        return np.where(valid, self.counts, 0)[:, 1:].sum(axis=1)

    @cached_property
    def kmax(self) -> int:
        """The longest ideal ranking here, so the ``log2`` table reaches every ideal rank."""
        return int(self.kcount.max()) if self.q else 0

    @cached_property
    def icum0(self) -> Array:
        """Ideal DCG of the first ``k`` ideal ranks, for ``k`` in 0..width."""
        return _cum0(self.ideal / self.log2[: self.ideal.shape[1]])

    @cached_property
    def gain(self) -> Array:
        """Default gains: the grade itself for judged grades, 0 otherwise."""
        return np.where(self.rel >= 0, self.rel, 0).astype(np.float64)

    @cached_property
    def dcg_cum0(self) -> Array:
        """DCG of the first ``i`` ranks, ``i`` in 0..R: trec_eval's default gains over
        ``log2(rank + 1)``."""
        g = self.gain
        return _cum0(np.where(g != 0, g / self.log2[: self.r], 0.0))

    @cached_property
    def dcg(self) -> Array:
        """DCG of the whole retrieved list (the first ``num_ret`` ranks)."""
        return self.at(self.dcg_cum0, self.r)

    @cached_property
    def idcg(self) -> Array:
        """DCG of the ideal ranking of every positive-grade judged document: ndcg's divisor."""
        return self.icum0[self.qs, self.kcount]

    @cached_property
    def prec_sufmax(self) -> Array:
        """Best precision at this rank or any later one: trec_eval's interpolated precision."""
        prec = np.where(self.rel != PAD_MARK, self.relcnt0[:, 1:] / (self.ranks + 1), 0.0)
        return np.maximum.accumulate(prec[:, ::-1], axis=1)[:, ::-1]


def _cum0(terms: Array) -> Array:
    """Running sums along the ranks with a leading 0.0 column (sequential addition)."""
    out = np.zeros((terms.shape[0], terms.shape[1] + 1))
    np.cumsum(terms, axis=1, out=out[:, 1:])
    return out


def _col(v: Array | list[float]) -> Array:
    return np.asarray(v, dtype=np.float64).reshape(-1, 1)


def _safe_div(a: Array | float, b: Array | float) -> Array:
    with np.errstate(all="ignore"):
        return np.asarray(a, dtype=np.float64) / np.asarray(b, dtype=np.float64)


# ---- counts


def num_ret(b: Block, _: Any) -> Array:
    """Documents retrieved (trec_eval's num_ret; summed over queries, not averaged)."""
    return _col(b.n)


def num_rel(b: Block, _: Any) -> Array:
    """Documents judged relevant, retrieved or not (trec_eval's num_rel)."""
    return _col(b.nrel)


def num_rel_ret(b: Block, _: Any) -> Array:
    """Relevant documents retrieved (trec_eval's num_rel_ret; summed over queries)."""
    return _col(b.nrr)


def num_nonrel_judged_ret(b: Block, _: Any) -> Array:
    """Retrieved documents judged non-relevant: retrieved less unjudged, non-pool and relevant."""
    return _col(b.n - b.nonpool - b.unjudged - b.nrr)


def one(b: Block, _: Any) -> Array:
    """1.0 per query, so that the sum over queries is num_q."""
    return np.ones((b.q, 1))


# ---- precision-based


def map_(b: Block, _: Any) -> Array:
    """Average precision (trec_eval's map): precision summed at relevant ranks over num_rel; 0.0
    when none is retrieved."""
    return _col(np.where(b.found > 0, _safe_div(b.ap_total, b.nrel), 0.0))


def gm_map(b: Block, _: Any) -> Array:
    """log of AP floored at MIN_GEO_MEAN (trec_eval's gm_map): the mean of it, exponentiated, is the
    geometric mean."""
    vals = map_(b, None)[:, 0].tolist()
    return _col([clog(max(v, MIN_GEO_MEAN)) for v in vals])


def yaap(b: Block, _: Any) -> Array:
    """trec_eval's yaap: ``log((1 + AP sum) / (1 + num_rel - AP sum))``, AP on a log-odds scale."""
    tot = b.ap_total.tolist()
    nrel = b.nrel.tolist()
    return _col([clog(fdiv(1.0 + t, 1.0 + r - t)) for t, r in zip(tot, nrel, strict=True)])


def rprec(b: Block, _: Any) -> Array:
    """R-precision (trec_eval's Rprec): relevant documents in the first num_rel ranks / num_rel."""
    k = np.minimum(b.n, b.nrel)
    found = b.relcnt0[b.qs, k]
    return _col(np.where(k == 0, 0.0, _safe_div(found, b.nrel)))


def recip_rank(b: Block, _: Any) -> Array:
    """Reciprocal rank of the first relevant document (trec_eval's recip_rank); 0.0 when none is
    retrieved."""
    first = np.argmax(b.isrel, axis=1)
    return _col(np.where(b.found > 0, _safe_div(1.0, first + 1), 0.0))


def _bpref_values(b: Block) -> Array:
    if "bpref" not in b.memo:
        b.memo["bpref"] = _bpref_compute(b)
    return b.memo["bpref"]


def _bpref_compute(b: Block) -> Array:
    nonrel_mask = (b.rel >= 0) & (b.rel < b.level)
    nonrel = np.cumsum(nonrel_mask, axis=1)
    nr = b.nrel[:, None]
    frac = _safe_div(np.minimum(nonrel, nr), np.minimum(b.num_nonrel[:, None], nr))
    with np.errstate(all="ignore"):
        term = np.where(b.isrel, np.where(nonrel > 0, 1.0 - frac, 1.0), 0.0)
    total = _cum0(term)[:, -1]
    return np.where(b.nrel > 0, _safe_div(total, b.nrel), total)


def bpref(b: Block, _: Any) -> Array:
    """bpref (Buckley and Voorhees, trec_eval's bpref): each relevant document loses the share of
    judged non-relevant ones above it, both capped at num_rel."""
    return _col(_bpref_values(b))


def gm_bpref(b: Block, _: Any) -> Array:
    """log of bpref floored at MIN_GEO_MEAN, for trec_eval's geometric mean gm_bpref."""
    return _col([clog(max(v, MIN_GEO_MEAN)) for v in _bpref_values(b).tolist()])


def infap(b: Block, _: Any) -> Array:
    """Inferred AP (Yilmaz and Aslam, trec_eval's infAP): AP from sampled judgments, each relevant
    rank's precision above it estimated from the judged documents there."""
    rel = b.rel
    relm = b.isrel
    nonrel = np.cumsum((rel >= 0) & (rel < b.level), axis=1)
    unj = np.cumsum(rel == UNJUDGED, axis=1)
    nrel_here = b.relcnt0[:, 1:]
    fj = b.ranks.astype(np.float64)
    with np.errstate(all="ignore"):
        a = 1.0 / (fj + 1.0)
        bb = fj / (fj + 1.0)
        c = (nrel_here - 1 + nonrel + unj) / fj
        d = (nrel_here - 1 + INFAP_EPSILON) / ((nrel_here - 1 + nonrel) + 2 * INFAP_EPSILON)
        term = a + (bb * c) * d
    term = np.where(b.ranks == 0, 1.0, term)
    total = _cum0(np.where(relm, term, 0.0))[:, -1]
    return _col(np.where(b.nrel > 0, _safe_div(total, b.nrel), total))


def _lround(x: Array) -> Array:
    a = np.abs(x)
    r = np.floor(a)
    r = np.where(a - r >= 0.5, r + 1, r)
    return np.where(x < 0, -r, r).astype(np.int64)


def _interpolated(b: Block, fractions: list[float]) -> Array:
    key = ("interpolated", *fractions)
    if key not in b.memo:
        b.memo[key] = _interpolated_compute(b, fractions)
    return b.memo[key]


def _interpolated_compute(b: Block, fractions: list[float]) -> Array:
    out = np.zeros((b.q, len(fractions)))
    suf = b.prec_sufmax
    flat = (b.relcnt0[:, 1:] + (b.qs * (b.r + 1))[:, None]).ravel()
    with np.errstate(all="ignore"):
        first = np.where(b.n == 0, NEG_NAN, np.where(b.nrr == 0, 0.0, suf[:, 0]))
    for j, f in enumerate(fractions):
        c = _lround(f * b.nrel.astype(np.float64))
        target = np.clip(c, 1, None) + b.qs * (b.r + 1)
        idx = np.searchsorted(flat, target) - b.qs * b.r
        idx = np.clip(idx, 0, b.r - 1)
        val = np.where(c <= b.nrr, suf[b.qs, idx], 0.0)
        out[:, j] = np.where(c <= 0, first, val)
    return out


def iprec_at_recall(b: Block, fractions: list[float]) -> Array:
    """Interpolated precision at each recall fraction (trec_eval's iprec_at_recall): the best
    precision at or past the rank reaching it."""
    return _interpolated(b, fractions)


def eleven_pt_avg(b: Block, fractions: list[float]) -> Array:
    """Mean of the interpolated precisions (trec_eval's 11pt_avg), summed last to first as trec_eval
    does."""
    vals = _interpolated(b, fractions)
    total = np.zeros(b.q)
    for j in range(len(fractions) - 1, -1, -1):
        total = total + vals[:, j]
    return _col(total / len(fractions))


def _counts_at(b: Block, table: Array, cuts: list[int]) -> Array:
    return np.stack([b.at(table, c) for c in cuts], axis=1)


def p(b: Block, cuts: list[int]) -> Array:
    """Precision at each cutoff k (trec_eval's P_k): relevant in the first k over k, even when fewer
    than k are retrieved."""
    return _counts_at(b, b.relcnt0, cuts) / np.array(cuts, dtype=np.float64)


def recall(b: Block, cuts: list[int]) -> Array:
    """Recall at each cutoff k (trec_eval's recall_k): relevant in the first k over num_rel; 0.0
    with no relevant."""
    vals = _safe_div(_counts_at(b, b.relcnt0, cuts), b.nrel[:, None])
    return np.where(b.nrel[:, None] == 0, 0.0, vals)


def relative_p(b: Block, cuts: list[int]) -> Array:
    """Precision at k over the most a ranking could reach, ``min(k, num_rel)`` (trec_eval's
    relative_P)."""
    den = np.minimum(np.array(cuts)[None, :], b.nrel[:, None])
    vals = _safe_div(_counts_at(b, b.relcnt0, cuts), den)
    return np.where(b.nrel[:, None] == 0, 0.0, vals)


def success(b: Block, cuts: list[int]) -> Array:
    """1.0 when a relevant document is in the first k (trec_eval's success_k), else 0.0."""
    return np.where(_counts_at(b, b.relcnt0, cuts) > 0, 1.0, 0.0)


def map_cut(b: Block, cuts: list[int]) -> Array:
    """AP cut at k (trec_eval's map_cut_k): precision summed at relevant ranks up to k, over
    num_rel."""
    vals = _safe_div(_counts_at(b, b.ap_cum0, cuts), b.nrel[:, None])
    return np.where(b.nrel[:, None] == 0, 0.0, vals)


def unj(b: Block, cuts: list[int]) -> Array:
    """Share of the first k that is unjudged or outside the pool (unj_k): how far to trust the other
    measures."""
    mark = (b.rel == NONPOOL) | (b.rel == UNJUDGED)
    cnt0 = np.zeros((b.q, b.r + 1), dtype=np.int64)
    np.cumsum(mark, axis=1, out=cnt0[:, 1:])
    return _counts_at(b, cnt0, cuts) / np.array(cuts, dtype=np.float64)


def rprec_mult(b: Block, fractions: list[float]) -> Array:
    """Precision at multiples of R (trec_eval's Rprec_mult): cutoff ``int(f * num_rel + 0.9)`` for
    each f."""
    out = np.zeros((b.q, len(fractions)))
    for j, f in enumerate(fractions):
        cut = (f * b.nrel.astype(np.float64) + 0.9).astype(np.int64)
        cnt = b.relcnt0[b.qs, np.clip(np.minimum(cut, b.n), 0, None)]
        out[:, j] = np.where(cut >= 1, _safe_div(cnt, cut), 0.0)
    return out


def utility(b: Block, c: list[float]) -> Array:
    """trec_eval's linear set utility: coefficients for relevant retrieved, non-relevant retrieved,
    relevant missed, non-relevant missed."""
    n, nrr, nrel = b.n, b.nrr, b.nrel
    return _col(
        c[0] * nrr + c[1] * (n - nrr) + c[2] * (nrel - nrr) + c[3] * (b.num_docs + nrr - n - nrel)
    )


def zero(b: Block, _: Any) -> Array:
    """0.0 per query: the numeric row of measures trec_eval prints as text (runid, relstring)."""
    return np.zeros((b.q, 1))


RELSTRING_CODES = {**{i: chr(48 + i) for i in range(10)}, NONPOOL: "-", UNJUDGED: "."}


def relstring_texts(b: Block, params: list[float]) -> list[str]:
    """``measures.relstring_text`` for every query."""
    limit = _c_long(params[0])
    width = max(0, min(limit, b.r))
    codes = np.where(b.rel[:, :width] > 9, 62, 0)
    codes = np.where(
        (b.rel[:, :width] >= 0) & (b.rel[:, :width] <= 9), 48 + b.rel[:, :width], codes
    )
    codes = np.where(b.rel[:, :width] == NONPOOL, 45, codes)
    codes = np.where(b.rel[:, :width] == UNJUDGED, 46, codes)
    codes = np.where(b.rel[:, :width] == PAD_MARK, 0, codes).astype(np.uint8)
    keep = np.maximum(np.minimum(limit, b.n), 0).tolist()
    return [bytes(row[:k]).decode("latin-1") for row, k in zip(codes, keep, strict=True)]


# ---- set measures


def set_p(b: Block, _: Any) -> Array:
    """Precision of the retrieved set as a whole, ranks ignored (trec_eval's set_P)."""
    return _col(np.where(b.n > 0, _safe_div(b.nrr, b.n), 0.0))


def set_relative_p(b: Block, _: Any) -> Array:
    """Set precision over ``min(num_ret, num_rel)`` (trec_eval's set_relative_P), so 1.0 is
    reachable."""
    ok = (b.n > 0) & (b.nrel > 0)
    return _col(np.where(ok, _safe_div(b.nrr, np.minimum(b.n, b.nrel)), 0.0))


def set_recall(b: Block, _: Any) -> Array:
    """Recall of the retrieved set as a whole (trec_eval's set_recall)."""
    return _col(np.where(b.nrel > 0, _safe_div(b.nrr, b.nrel), 0.0))


def set_map(b: Block, _: Any) -> Array:
    """set_P times set_recall (trec_eval's set_map): an AP for an unranked set."""
    ok = (b.n > 0) & (b.nrel > 0)
    f = np.float64
    num = b.nrr.astype(f) * b.nrr.astype(f)
    return _col(np.where(ok, _safe_div(num, b.n.astype(f) * b.nrel.astype(f)), 0.0))


def set_f(b: Block, params: list[float]) -> Array:
    """F of the retrieved set (trec_eval's set_F): ``(x + 1) P R / (x P + R)`` with the parameter x;
    0.0 with nothing relevant retrieved."""
    x = params[0]
    out = []
    for nrr, n, nrel in zip(b.nrr.tolist(), b.n.tolist(), b.nrel.tolist(), strict=True):
        if not nrr:
            out.append(0.0)
            continue
        prec = nrr / n
        rec = nrr / nrel
        out.append(fdiv((x + 1.0) * prec * rec, x * prec + rec))
    return _col(out)


# ---- graded gains (default gains: each grade gains its own value)


def ndcg(b: Block, _: Any) -> Array:
    """nDCG over the whole list (trec_eval's ndcg): default gains (the grade), ``log2(rank + 1)``
    discount."""
    return _col(np.where(b.idcg > 0.0, _safe_div(b.dcg, b.idcg), 0.0))


def dcg(b: Block, _: Any) -> Array:
    """DCG of the retrieved list, trec_eval's default gains, not normalized (trec_eval's dcg)."""
    return _col(b.dcg)


def ideal_dcg(b: Block, _: Any) -> Array:
    """DCG of the ideal ranking (trec_eval's ideal_dcg): the normalizer of ndcg."""
    return _col(b.idcg)


def ndcg_cut(b: Block, cuts: list[int]) -> Array:
    """nDCG at each cutoff k (trec_eval's ndcg_cut_k), the ideal cut at k too; the raw DCG where the
    ideal is 0."""
    out = np.zeros((b.q, len(cuts)))
    for j, c in enumerate(cuts):
        sums = b.at(b.dcg_cum0, c)
        ideal = b.icum0[b.qs, np.minimum(c, b.kcount)]
        out[:, j] = np.where(ideal > 0.0, _safe_div(sums, ideal), sums)
    return out


def ndcg_rel(b: Block, _: Any) -> Array:
    """nDCG averaged over the relevant documents' ranks (trec_eval's ndcg_rel); one not retrieved
    counts the list's nDCG."""
    g = b.gain
    icum = b.icum0[:, 1 : b.r + 1]
    with np.errstate(all="ignore"):
        term = np.where(g > 0, b.dcg_cum0[:, 1:] / icum, 0.0)
    total = _cum0(term)[:, -1]
    rel_ret = (g > 0).sum(axis=1)
    k = b.kcount
    with np.errstate(all="ignore"):
        total = total + ((k - rel_ret).astype(np.float64) * b.dcg) / b.idcg
        return _col(np.where(total > 0.0, total / k, 0.0))


def rndcg(b: Block, _: Any) -> Array:
    """nDCG averaged at the ranks where the ideal ranking's grade changes, plus its end (trec_eval's
    Rndcg)."""
    total = np.zeros(b.q)
    changes = np.zeros(b.q, dtype=np.int64)
    kpos = np.zeros(b.q, dtype=np.int64)
    g = b.counts.shape[1]
    for lvl in range(g - 1, 0, -1):
        c = np.where(lvl < b.nrl, b.counts[:, lvl], 0)
        kpos = kpos + c
        has = c > 0
        with np.errstate(all="ignore"):
            term = b.at(b.dcg_cum0, kpos) / b.icum0[b.qs, kpos]
        total = total + np.where(has, term, 0.0)
        changes += has
    k = b.kcount
    final = (k >= 1) & (k + 1 < b.n)
    with np.errstate(all="ignore"):
        total = total + np.where(final, b.dcg / b.idcg, 0.0)
    changes += final
    with np.errstate(all="ignore"):
        val = np.where(changes == 0, NEG_NAN, total / changes)
    return _col(np.where(b.nrel == 0, 0.0, val))


def g_measure(b: Block, _: Any) -> Array:
    """trec_eval's G: each gain discounted by ``log2(2 + cost so far - gain so far)``, over the
    ideal's total gain."""
    g = b.gain
    ig = b.ideal[:, : b.r]
    sum_results = np.cumsum(g, axis=1)
    sum_cost = np.cumsum(np.where(ig >= 1.0, ig, 1.0), axis=1)
    x = (2 + sum_cost) - sum_results
    use = g != 0
    lx = np.ones_like(x)
    if use.any():
        xs = x[use]  # whole numbers >= 2 (sums of whole-number gains and costs)
        top = int(xs.max())
        if top < LOG2_TABLE_MAX and bool((xs == np.floor(xs)).all()) and xs.min() >= 0:
            lx[use] = _log2_table(top + 1)[xs.astype(np.int64)]
        else:
            vals = np.unique(xs)
            logs = np.array([clog2(v) for v in vals.tolist()])
            lx[use] = logs[np.searchsorted(vals, xs)]
    with np.errstate(all="ignore"):
        term = np.where(use, g / lx, 0.0)
    results = _cum0(term)[:, -1]
    ideal_sum = _cum0(b.ideal)[:, -1]
    return _col(np.where(ideal_sum > 0.0, _safe_div(results, ideal_sum), 0.0))


def bin_g(b: Block, _: Any) -> Array:
    """Binary G (trec_eval's binG): each relevant document discounted by
    ``log2(non-relevant above + 2)``, over num_rel."""
    found = b.relcnt0[:, 1:]
    table = _log2_table(b.r + 4)
    arg = np.clip(3 + b.ranks - found, 0, b.r + 3)
    term = np.where(b.isrel, 1.0 / table[arg], 0.0)
    total = _cum0(term)[:, -1]
    return _col(np.where(b.found > 0, _safe_div(total, b.nrel), 0.0))


@lru_cache(maxsize=8)
def _powers(p: float, n: int) -> Array:
    cur = 1.0
    out = []
    for _ in range(n + 1):
        out.append(cur)
        cur = cur * p
    arr = np.array(out)
    arr.setflags(write=False)
    return arr


def rbp(b: Block, _: Any) -> Array:
    """Rank-biased precision (Moffat and Zobel, trec_eval's rbp) with persistence 0.9, grades scaled
    to 0..1."""
    p = 0.9
    hi = np.maximum(b.nrl - 1, 0).astype(np.float64)
    gain = b.gain
    with np.errstate(all="ignore"):
        gain = np.where(hi[:, None] > 1, (gain - 0.0) / (hi[:, None] - 0.0), gain)
    cur = _powers(p, b.r)
    total = _cum0(np.where(gain != 0, gain * cur[: b.r], 0.0))[:, -1]
    return _col((1.0 - p) * total)


def rbp_resid(b: Block, _: Any) -> Array:
    """RBP's residual (trec_eval's rbp_resid): the weight of unjudged ranks and of the ranks past
    the list, what RBP could still gain."""
    p = 0.9
    neg = (b.rel == NONPOOL) | (b.rel == UNJUDGED)
    cur = _powers(p, b.r)
    total = _cum0(np.where(neg, cur[: b.r], 0.0))[:, -1]
    return _col(np.where(neg.any(axis=1), cur[b.n] + (1 - p) * total, 0.0))


Fn = Callable[[Block, Any], Array]

# measure name -> function; measures given parameters go to the reference engine unless
# their name is in TAKES_PARAMS.
FAST: dict[str, Fn] = {
    "runid": zero, "num_q": one, "num_ret": num_ret, "num_rel": num_rel,
    "num_rel_ret": num_rel_ret, "map": map_, "gm_map": gm_map, "Rprec": rprec,
    "bpref": bpref, "recip_rank": recip_rank, "iprec_at_recall": iprec_at_recall, "P": p,
    "relstring": zero, "recall": recall, "infAP": infap, "gm_bpref": gm_bpref,
    "Rprec_mult": rprec_mult, "utility": utility, "11pt_avg": eleven_pt_avg, "binG": bin_g,
    "G": g_measure, "dcg": dcg, "ideal_dcg": ideal_dcg, "ndcg": ndcg, "ndcg_rel": ndcg_rel,
    "Rndcg": rndcg, "ndcg_cut": ndcg_cut, "map_cut": map_cut, "relative_P": relative_p,
    "success": success, "set_P": set_p, "set_relative_P": set_relative_p,
    "set_recall": set_recall, "set_map": set_map, "set_F": set_f,
    "num_nonrel_judged_ret": num_nonrel_judged_ret, "yaap": yaap, "rbp": rbp,
    "rbp_resid": rbp_resid, "unj": unj,
}  # fmt: skip
TAKES_PARAMS = {
    "P", "recall", "relative_P", "success", "map_cut", "unj", "ndcg_cut", "iprec_at_recall",
    "Rprec_mult", "utility", "set_F", "relstring",
}  # fmt: skip
