"""ROC-AUC of a run against qrels: global (scores pooled over all queries) and mean per query.

Global AUC asks whether one threshold separates relevant from non-relevant documents across
queries (what MW-loss training optimises); per-query AUC only asks for each query's ordering.
Both depend on which (query, document) pairs are scored, so the pool definition travels with
the numbers.

Results store AUC under every pool in ``AUC_POOLS`` (the run's ``top100``, as MW-loss papers
score a retrieved list, and ``judged+top100``), each key naming its pool, e.g.
``auc_global(top100)``; a bare "AUC" without its pool is never stored.

Pool ``judged+topK``: per query, every judged document plus the
run's top K. ``judged``: judged documents only. ``topK``: the run's top K only (unjudged count
as non-relevant). Label = grade >= ``min_relevance`` (default 1, i.e. qrel > 0). A pooled
document the run did not return gets score -inf: it ranks below everything returned, tied
with the other unreturned ones (ties count one half, as in Mann-Whitney U).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import ConfigError
from ir_harness.eval.measures import Measure

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels, Run

AUC_POOLS = ("top100", "judged+top100")
_POOL = re.compile(r"^(judged)?(?:\+?top(\d+))?$")


def parse_pool(pool: str) -> tuple[bool, int]:
    """``judged+top100`` -> (True, 100); ``judged`` -> (True, 0); ``top50`` -> (False, 50)."""
    m = _POOL.match(pool.strip())
    if not m or not (m.group(1) or m.group(2)) or (m.group(1) and pool.startswith("top")):
        raise ConfigError(f"AUC pool {pool!r}: expected judged, topK or judged+topK")
    return bool(m.group(1)), int(m.group(2) or 0)


def describe_pool(pool: str, min_relevance: int = 1) -> str:
    """The pool definition in words, stored beside every AUC number."""
    judged, k = parse_pool(pool)
    parts = (["all judged docs"] if judged else []) + ([f"the run's top {k}"] if k else [])
    return (
        f"{pool}: per query, {' + '.join(parts)}; label = grade >= {min_relevance}; "
        "unreturned docs score -inf"
    )


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney U / (|pos| |neg|) with average ranks for ties; NaN without both classes."""
    from scipy.stats import rankdata

    labels = labels.astype(bool)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(scores)  # average ranks; -inf ties rank together at the bottom
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def pooled_pairs(
    run: Run, qrels: Qrels, pool: str = "judged+top100", min_relevance: int = 1
) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """query id -> (doc ids, scores, labels) of the pool, over queries that have judgments."""
    judged, k = parse_pool(pool)
    out = {}
    for q in sorted(qrels):
        rel = qrels[q]
        if not rel:
            continue
        docs = run.get(q, {})
        ids: dict[str, None] = {}
        if k:
            top = sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:k]
            ids.update(dict.fromkeys(d for d, _ in top))
        if judged:
            ids.update(dict.fromkeys(sorted(rel)))
        dl = list(ids)
        scores = np.array([docs.get(d, -math.inf) for d in dl], dtype=np.float64)
        labels = np.array([rel.get(d, 0) >= min_relevance for d in dl], dtype=bool)
        out[q] = (dl, scores, labels)
    return out


def auc_metrics(
    run: Run, qrels: Qrels, pool: str = "judged+top100", min_relevance: int = 1
) -> dict[str, Any]:
    """Global and mean per-query ROC-AUC with the pool stated beside them.

    Returns ``auc_global``, ``auc_per_query_mean`` (over queries with both classes in the
    pool), ``auc_per_query`` (query id -> AUC), counts, and ``auc_pool`` (the definition).
    """
    pairs = pooled_pairs(run, qrels, pool, min_relevance)
    per_query = {}
    all_s, all_l = [], []
    for q, (_, s, lab) in pairs.items():
        a = roc_auc(s, lab)
        if not math.isnan(a):
            per_query[q] = a
        all_s.append(s)
        all_l.append(lab)
    s = np.concatenate(all_s) if all_s else np.zeros(0)
    lab = np.concatenate(all_l) if all_l else np.zeros(0, bool)
    return {
        "auc_global": roc_auc(s, lab),
        "auc_per_query_mean": float(np.mean(list(per_query.values()))) if per_query else math.nan,
        "auc_per_query": per_query,
        "auc_pool": describe_pool(pool, min_relevance),
        "auc_n_pairs": int(len(lab)),
        "auc_n_positive": int(lab.sum()),
        "auc_n_queries": len(pairs),
        "auc_n_queries_both_classes": len(per_query),
    }


def auc_key(stat: str, pool: str) -> str:
    """The stored name of one AUC statistic under one pool: ``auc_global(top100)``."""
    return f"{stat}({pool})"


def pooled_auc(
    run: Run, qrels: Qrels, pools: tuple[str, ...] = AUC_POOLS, min_relevance: int = 1
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, Any]]:
    """AUC under each pool, ready for a result: (means, per-query values, ``extra``).

    Means: ``auc_global(P)``, ``auc_per_query_mean(P)``; per query: ``auc(P)``; ``extra``:
    ``auc_pools`` = pool -> its definition and pair counts.
    """
    means: dict[str, float] = {}
    per_query: dict[str, dict[str, float]] = {}
    info: dict[str, Any] = {}
    for pool in pools:
        m = auc_metrics(run, qrels, pool=pool, min_relevance=min_relevance)
        means[auc_key("auc_global", pool)] = m["auc_global"]
        means[auc_key("auc_per_query_mean", pool)] = m["auc_per_query_mean"]
        per_query[auc_key("auc", pool)] = m["auc_per_query"]
        info[pool] = {k: v for k, v in m.items() if k.startswith("auc_n") or k == "auc_pool"}
    return means, per_query, {"auc_pools": info}


MEASURE = Measure(
    "auc_by_pool",
    "ROC-AUC of a run against qrels under each named pool: global and mean per query",
    pooled_auc,
)
