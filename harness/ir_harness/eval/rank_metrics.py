"""ranx's ranking metrics as whole-run array operations, equal to its kernels bit for bit.

Why: in a cold ``harness eval`` process, importing numba and loading ranx's cached kernels cost
more than scoring itself (about 1 s of a 5,000 x 1,000 run). Here only the relevant rows of a
run are touched: they are joined with the qrels once, and each metric is a few numpy operations
over those hits. Every value is computed with the operations ranx's kernels use, in the same
order: the per-query sums (average precision, DCG) add terms left to right in rank order (one
numpy add per column, never numpy's pairwise summation), and the DCG discounts are
``math.log2`` (the C library's, as in numba) rather than numpy's vectorised ``log2``. Terms ranx
adds as 0.0 change no sum, so skipping them keeps the bits.

Metrics: ``ndcg``, ``dcg``, ``map``, ``recall``, ``precision``, ``mrr``, ``hits``, ``hit_rate``,
``r_precision``; anything else (``f1``, ``bpref``, Burges' gains) is left to ranx.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.eval.qrels_table import ideal_rows, relevant_counts

if TYPE_CHECKING:
    from ir_harness.eval.qrels_table import Judged
    from ir_harness.eval.ranking import Ranked

SUPPORTED = {"ndcg", "dcg", "map", "recall", "precision", "mrr", "hits", "hit_rate", "r_precision"}


class Hits:
    """The judged rows of a prepared run for a list of queries, in (query, rank) order.

    ``qi``: index into ``qs``; ``rank``: 0-based position in the query's ranking; ``grade``: the
    judgment (negative grades as 0, as ranx's inputs have them). Also per query: ``n_ranked``
    (run length), ``n_judged``, and ``ideal``, the qrels' grade counts (ranx's IDCG is the DCG
    of the grades sorted descending, :func:`ideal_rows`).
    """

    def __init__(self, ranked: Ranked, codes: np.ndarray, judged: Judged) -> None:
        """``codes``: the run's query code of each query; ``judged``: their judgments."""
        nq = len(codes)
        self.n_ranked = ranked.n_ranked[codes]
        self.ideal = judged.ideal
        self.n_judged = np.bincount(judged.ideal.qi, weights=judged.ideal.n, minlength=nq).astype(
            np.int64
        )
        self.qi, self.rank, self.grade, self.negative = self._join(
            ranked,
            judged.qi.astype(np.int64),
            judged.row,
            np.maximum(judged.grade.astype(np.float64), 0.0),
            judged.grade < 0,
        )

    def condensed(self) -> Hits:
        """The same judgments over the condensed lists (Sakai's nDCG'): unjudged documents
        removed, and those judged with a negative grade, as trec_eval's ``-J`` (and so
        ir_measures' ``judged_only``) treats them; each kept row moves up to its position among
        the kept rows. The ideal list is unchanged."""
        out = copy.copy(self)
        keep = ~self.negative
        out.qi, out.grade, out.negative = self.qi[keep], self.grade[keep], self.negative[keep]
        out.rank = _nth(out.qi)
        out.n_ranked = np.bincount(out.qi, minlength=len(self.n_ranked)).astype(np.int64)
        return out

    @staticmethod
    def _join(
        ranked: Ranked,
        qi: np.ndarray,
        rows: np.ndarray,
        grade: np.ndarray,
        negative: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The judged run rows ``rows`` (of queries ``qi``) that fall within the depth: (query
        index, rank, grade, whether the judgment is negative), by query then rank."""
        if not len(rows):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool)
        rank = ranked.positions(rows)
        pos = np.arange(len(rows))
        if ranked.depth is not None:
            within = rank < ranked.depth
            rank, qi, pos = rank[within], qi[within], pos[within]
        by_query = np.lexsort((rank, qi))
        at = pos[by_query]
        return qi[by_query], rank[by_query], grade[at], negative[at]


def _cut(k: int, n: np.ndarray) -> np.ndarray:
    """ranx's ``fix_k``: k, or the list length when k is 0 or beyond it."""
    return n if k == 0 else np.minimum(k, n)


def _ordered_sums(qi: np.ndarray, col: np.ndarray, values: np.ndarray, nq: int) -> np.ndarray:
    """Per-query sums of ``values`` added left to right in ``col`` order, as ranx's loops add
    them (each query appears at most once per column): one numpy add per column."""
    out = np.zeros(nq, dtype=np.float64)
    if not len(qi):
        return out
    order = np.argsort(col, kind="stable")
    qi, col, values = qi[order], col[order], values[order]
    cuts = [0, *(np.flatnonzero(col[1:] != col[:-1]) + 1).tolist(), len(col)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        out[qi[a:b]] += values[a:b]
    return out


def _nth(qi: np.ndarray) -> np.ndarray:
    """0-based position of each row within its query (rows grouped by query)."""
    return np.arange(len(qi)) - np.searchsorted(qi, qi)


def _discounts(ranks: np.ndarray) -> np.ndarray:
    """``log2(rank + 2)`` per 0-based rank, from the C library as numba's ``np.log2`` calls it."""
    uniq, inv = np.unique(ranks, return_inverse=True)
    return np.array([math.log2(r + 2) for r in uniq.tolist()], dtype=np.float64)[inv]


def metric_values(hits: Hits, name: str, k: int, level: int) -> np.ndarray | None:
    """One metric's value for every query of ``hits``, or None where ranx must compute it."""
    if name not in SUPPORTED:
        return None
    nq = len(hits.n_ranked)
    relevant = hits.grade >= level
    n_rel = relevant_counts(hits.ideal, level, nq)
    if name in ("ndcg", "dcg"):
        kk = _cut(k, hits.n_ranked)
        take = relevant & (hits.rank < kk[hits.qi])
        qi, rank = hits.qi[take], hits.rank[take]
        dcg = _ordered_sums(qi, _nth(qi), hits.grade[take] / _discounts(rank), nq)
        if name == "dcg":
            return dcg
        ideal_qi, col, ideal_grade = ideal_rows(hits.ideal, level, _cut(k, hits.n_judged))
        ideal = _ordered_sums(ideal_qi, col, ideal_grade / _discounts(col), nq)
        return dcg / np.where(ideal == 0.0, 1.0, ideal)
    if name == "r_precision":
        kk = np.minimum(n_rel, hits.n_ranked)
    else:
        kk = _cut(k, hits.n_ranked)
    take = relevant & (hits.rank < kk[hits.qi])
    qi, rank = hits.qi[take], hits.rank[take]
    found = np.bincount(qi, minlength=nq).astype(np.float64)
    if name == "hits":
        return found
    if name == "hit_rate":
        return (found > 0).astype(np.float64)
    if name == "recall":
        return found / n_rel
    if name == "precision":
        return found / (hits.n_ranked if k == 0 else k)
    if name == "r_precision":
        return found / n_rel
    if name == "mrr":
        out = np.zeros(nq, dtype=np.float64)
        first = np.ones(len(qi), dtype=bool)
        first[1:] = qi[1:] != qi[:-1]
        out[qi[first]] = 1 / (rank[first] + 1)
        return out
    # map: precision at each hit (hits so far / rank), summed in rank order, over R
    nth = _nth(qi)
    return _ordered_sums(qi, nth, (nth + 1) / (rank + 1), nq) / n_rel
