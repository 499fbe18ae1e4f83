"""Measures papers report that trec_eval does not compute, over the judged rows of a run.

* ``judged@k``: the fraction of the top k that is judged (any grade, negative included); a
  drop in nDCG with a low value is a hole in the judgments rather than a worse system.
* ``err@k``: Chapelle et al.'s expected reciprocal rank as ir_measures computes it (gdeval, the
  TREC Web track's script): stop probability ``(2**g - 1) / 2**4`` with 4 the highest grade
  gdeval allows; negative grades count as 0 and grades above 4 as 4 (gdeval refuses them).
* ``rbp(p=X)``: Moffat and Zobel's rank-biased precision over the whole list, binary relevance
  (grade >= the level), with its residual: the most RBP could still rise if every unjudged
  document of the list and everything past its end were relevant, ``1 - (1-p) sum of p**(i-1)
  over the judged ranks i``.
* ``ndcg(judged_only)``: Sakai's nDCG' on the condensed list (unjudged documents, and those
  judged with a negative grade as trec_eval's ``-J`` has it, removed before the cut-off), computed by :func:`ir_harness.eval.rank_metrics.metric_values` on
  :meth:`Hits.condensed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ir_harness.eval.rank_metrics import Hits

SUPPORTED = {"judged", "err", "rbp"}
ERR_MAX_GRADE = 4.0


def judged(hits: Hits, k: int) -> np.ndarray:
    """Judged documents among the first ``k`` (the whole list when k is 0) over k (or the list
    length when it is shorter than k, as ir_measures divides)."""
    nq = len(hits.n_ranked)
    kk = hits.n_ranked if k == 0 else np.minimum(k, hits.n_ranked)
    found = np.bincount(hits.qi[hits.rank < kk[hits.qi]], minlength=nq).astype(np.float64)
    return np.divide(found, kk, out=np.zeros(nq, dtype=np.float64), where=kk > 0)


def err(hits: Hits, k: int) -> np.ndarray:
    """ERR@k per query (unjudged documents stop no one: they add nothing)."""
    nq = len(hits.n_ranked)
    out = np.zeros(nq, dtype=np.float64)
    kk = hits.n_ranked if k == 0 else np.minimum(k, hits.n_ranked)
    take = hits.rank < kk[hits.qi]
    qi, rank = hits.qi[take], hits.rank[take]
    stop = (2.0 ** np.minimum(hits.grade[take], ERR_MAX_GRADE) - 1) / 2.0**ERR_MAX_GRADE
    bounds = np.searchsorted(qi, np.arange(nq + 1))
    for i in range(nq):
        a, b = bounds[i], bounds[i + 1]
        if a == b:
            continue
        s = stop[a:b]
        reach = np.concatenate(([1.0], np.cumprod(1.0 - s)[:-1]))
        out[i] = float(np.sum(reach * s / (rank[a:b] + 1)))
    return out


def rbp(hits: Hits, p: float, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(RBP, residual) per query, binary relevance at ``level``."""
    nq = len(hits.n_ranked)
    weight = (1.0 - p) * p ** hits.rank.astype(np.float64)
    rel = hits.grade >= level
    value = np.bincount(hits.qi[rel], weights=weight[rel], minlength=nq).astype(np.float64)
    seen = np.bincount(hits.qi, weights=weight, minlength=nq).astype(np.float64)
    return value, 1.0 - seen
