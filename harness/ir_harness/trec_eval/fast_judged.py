"""Every judged query's ranking joined with its judgments at once, as a query x rank matrix:
the vectorised counterpart of ``judged.rank`` and ``judged.form_judged``.

The rank order is trec_eval's (score descending, ties by docno descending), the cut at ``-M``
and the ``-J`` filter are the same, and the per-grade counts are those trec_eval's growing
buffer holds (``JudgedState`` is replayed query by query, so the stale counts two measures
read are reproduced). ``None`` means "use the reference engine": a judged query missing from
the run, a duplicate document, a NaN score, or a grade too large for a dense count table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.trec_eval.fast_read import docno_keys
from ir_harness.trec_eval.judged import NONPOOL, UNJUDGED

if TYPE_CHECKING:
    from ir_harness.trec_eval.readers import Qrels

PAD = -3
MAX_GRADE = 10_000
BLOCK_Q = 512


@dataclass
class Matrix:
    """What the vectorised measures read, one row per judged query (qrels order)."""

    rel: np.ndarray  # (Q, R) grade per rank, NONPOOL, UNJUDGED, PAD past num_ret
    num_ret: np.ndarray
    num_rel: np.ndarray
    num_rel_ret: np.ndarray
    num_nonpool: np.ndarray
    num_unjudged: np.ndarray
    num_nonrel: np.ndarray  # judged below -l, as bpref counts them from the grade buffer
    num_rel_levels: np.ndarray
    level_counts: np.ndarray  # (Q, G): the buffer's count per grade below num_rel_levels


def build(
    qids: list[str], docnos: np.ndarray, sims: np.ndarray, segments: dict[str, list[tuple[int, int]]],
    qrels: Qrels, relevance_level: int, judged_only: bool, max_docs: int,
) -> Matrix | None:  # fmt: skip
    """The matrix for ``qids`` (every judged query, in order), or ``None`` (see the module
    docstring). Works through blocks of queries so that no temporary array is large."""
    nq = len(qids)
    grades = _replay(qids, qrels, relevance_level)
    if grades is None or any(q not in segments for q in qids):
        return None
    num_rel, num_nonrel, num_rel_levels, counts = grades
    per_q = np.array([sum(e - s for s, e in segments[q]) for q in qids], dtype=np.int64)
    width = max(1, min(int(per_q.max()), max(max_docs, 0)))
    rel = np.full((nq, width), PAD, dtype=np.int16)
    num_ret = np.zeros(nq, dtype=np.int64)
    qkeys = docno_keys([d for q in qids for d in qrels.docs[q]], docnos)
    qgrades = np.array([r for q in qids for r in qrels.rels[q]], dtype=np.int64)
    qgrades[qgrades < 0] = UNJUDGED
    qoff = np.zeros(nq + 1, dtype=np.int64)
    np.cumsum([len(qrels.docs[q]) for q in qids], out=qoff[1:])
    for lo in range(0, nq, BLOCK_Q):
        hi = min(nq, lo + BLOCK_Q)
        spans = [span for q in qids[lo:hi] for span in segments[q]]
        if len(spans) == hi - lo and all(
            a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False)
        ):
            take: np.ndarray | slice = slice(spans[0][0], spans[-1][1])
        else:
            take = np.concatenate([np.arange(s, e) for s, e in spans])
        d = docnos[take]
        x = sims[take]
        n_q = per_q[lo:hi]
        off = np.zeros(hi - lo + 1, dtype=np.int64)
        np.cumsum(n_q, out=off[1:])
        ranked = _rank_and_join(d, x, off.tolist(), qkeys, qgrades, qoff[lo : hi + 1].tolist())
        if ranked is None:
            return None
        qidx = np.repeat(np.arange(hi - lo), n_q)
        pos = np.arange(len(ranked)) - np.repeat(off[:-1], n_q)
        if int(n_q.max()) > max_docs:
            keep = pos < max_docs
            ranked, qidx, pos = ranked[keep], qidx[keep], pos[keep]
        grade = ranked
        if judged_only:
            keep = grade >= 0
            grade, qidx = grade[keep], qidx[keep]
            n = np.bincount(qidx, minlength=hi - lo)
            starts = np.zeros(hi - lo, dtype=np.int64)
            np.cumsum(n[:-1], out=starts[1:])
            pos = np.arange(len(grade)) - np.repeat(starts, n)
        num_ret[lo:hi] = np.bincount(qidx, minlength=hi - lo)
        rel[lo + qidx, pos] = grade
    rel = rel[:, : max(1, int(num_ret.max()))]
    judged_rel = rel >= max(relevance_level, 0)
    return Matrix(
        rel=rel,
        num_ret=num_ret,
        num_rel=num_rel,
        num_rel_ret=judged_rel.sum(axis=1),
        num_nonpool=(rel == NONPOOL).sum(axis=1),
        num_unjudged=(rel == UNJUDGED).sum(axis=1),
        num_nonrel=num_nonrel,
        num_rel_levels=num_rel_levels,
        level_counts=counts,
    )


def _rank_and_join(
    d: np.ndarray, x: np.ndarray, off: list[int],
    qkeys: np.ndarray, qgrades: np.ndarray, qoff: list[int],
) -> np.ndarray | None:  # fmt: skip
    """Each query's grades in rank order (score descending, then docno descending): the
    judgment (UNJUDGED for a negative one) or NONPOOL; ``None`` if a query lists a docno
    twice. ``off``/``qoff`` bound each query's lines and its judgments (keys sorted)."""
    graded = np.full(len(d), NONPOOL, dtype=np.int64)
    perm = np.empty(len(d), dtype=np.int64)
    by_doc = np.empty_like(d)
    for k in range(len(off) - 1):
        s, e = off[k], off[k + 1]
        dq = d[s:e]
        od = dq.argsort()
        sd = dq[od]
        by_doc[s:e] = sd
        a, b = qoff[k], qoff[k + 1]
        if b > a:
            keys = qkeys[a:b]
            at = np.minimum(sd.searchsorted(keys), e - s - 1)
            hit = sd[at] == keys
            graded[s + od[at[hit]]] = qgrades[a:b][hit]
        perm[s:e] = od[x[s:e][od].argsort(kind="stable")][::-1] + s
    same = by_doc[1:] == by_doc[:-1]
    same[np.array(off[1:-1], dtype=np.int64) - 1] = False
    if bool(same.any()):
        return None
    return graded[perm]


def _replay(
    qids: list[str], qrels: Qrels, level: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """trec_eval's grade buffer, query by query: num_rel, bpref's count of judged documents
    below ``level``, num_rel_levels and the count per grade the measures read."""
    nq = len(qids)
    num_rel = np.zeros(nq, dtype=np.int64)
    num_nonrel = np.zeros(nq, dtype=np.int64)
    num_rel_levels = np.zeros(nq, dtype=np.int64)
    levels: list[list[int]] = []
    buf: list[int] = []
    nrl = 0
    for qi, qid in enumerate(qids):
        rels = qrels.rels[qid]
        max_rel = max(rels)
        if max_rel > MAX_GRADE:
            return None
        qdocs = qrels.docs[qid]
        for i in range(1, len(qdocs)):
            if qdocs[i] == qdocs[i - 1]:
                return None
        need = max_rel + 1
        if need > len(buf):
            buf = [0] * (len(buf) + need)
        for i in range(max(need, 0)):
            buf[i] = 0
        for r in rels:
            if r >= 0:
                buf[r] += 1
        nr = 0
        for i in range(max(need, 0)):
            if buf[i]:
                nrl = i + 1
                if i >= level:
                    nr += buf[i]
        num_rel[qi] = nr
        num_rel_levels[qi] = nrl
        num_nonrel[qi] = sum(buf[j] if j < len(buf) else 0 for j in range(level))
        levels.append([buf[j] if j < len(buf) else 0 for j in range(nrl)])
    g = max(1, max((len(lv) for lv in levels), default=1))
    counts = np.zeros((nq, g), dtype=np.int64)
    for qi, lv in enumerate(levels):
        counts[qi, : len(lv)] = lv
    return num_rel, num_nonrel, num_rel_levels, counts
