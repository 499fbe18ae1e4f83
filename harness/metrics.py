"""Scoring a run against qrels with ranx, made to agree with trec_eval.

How we match trec_eval (``trec_eval -c -l T``):

* **Ordering.** trec_eval ignores the rank column, compares scores in single precision and
  breaks ties by document id, descending. ranx keeps full precision and its tie order is
  unspecified. We sort each query once by ``(float32(score) desc, doc id desc)`` and hand ranx
  strictly decreasing rank-derived scores, so both engines see the same list.
* **Queries averaged.** With ``average_over="qrels"`` every judged query counts and a query the
  run does not answer scores 0 (``-c``); with ``"intersection"`` only judged queries in the run
  count (BEIR / pytrec_eval). Run queries without judgments never count.
* **Relevance threshold.** Binary metrics (MAP, recall, precision, MRR, ...) count a document
  as relevant when its grade is at least the task's threshold (``-l``); nDCG always uses the
  graded labels with linear gain (trec_eval ``ndcg_cut``; ranx ``ndcg``).
* **Per-query values** are kept for significance tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.metric_names import BINARY, parse_metric

if TYPE_CHECKING:
    from harness.data import Qrels, Run, TaskData
    from harness.spec import TaskSpec


def prepare_run(
    run: Run,
    *,
    depth: int,
    excluded_ids: dict[str, set[str]] | None = None,
    ignore_identical_ids: bool = False,
) -> Run:
    """Apply the task's quirks, then order and truncate like trec_eval.

    Excluded ids and self-hits are removed *before* truncation (BRIGHT, BEIR). Returned scores
    are the float32 values, so run files written from this agree with what was scored.
    """
    out: Run = {}
    for qid, docs in run.items():
        drop = (excluded_ids or {}).get(qid, set())
        items = [
            (did, float(np.float32(s)))
            for did, s in docs.items()
            if did not in drop and not (ignore_identical_ids and did == qid) and not math.isnan(s)
        ]
        items.sort(key=lambda kv: (kv[1], kv[0]), reverse=True)
        out[qid] = dict(items[:depth])
    return out


@dataclass
class Evaluation:
    """Mean and per-query metric values plus the queries they average over."""

    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    query_ids: list[str]


def evaluate(
    run: Run,
    qrels: Qrels,
    spec: TaskSpec,
    data: TaskData | None = None,
    metrics: tuple[str, ...] | None = None,
) -> Evaluation:
    """Score ``run`` with the task's conventions. Does not modify ``run``."""
    from ranx import Qrels as RQrels
    from ranx import Run as RRun
    from ranx import evaluate as ranx_evaluate

    parsed = [parse_metric(m) for m in (metrics or spec.metrics)]
    prepared = prepare_run(
        run,
        depth=spec.run_depth,
        excluded_ids=data.excluded_ids if data else None,
        ignore_identical_ids=spec.ignore_identical_ids,
    )
    judged = [q for q in qrels if qrels[q]]
    if spec.average_over == "intersection":
        qids = [q for q in judged if prepared.get(q)]
    else:
        qids = judged
    qids.sort()
    per_query: dict[str, dict[str, float]] = {m.id: dict.fromkeys(qids, 0.0) for m in parsed}

    # ranx needs at least one positive judgment and one retrieved doc per query: the rest
    # score 0 by definition (nothing relevant can be found / nothing was returned).
    def usable(rel_min: int) -> list[str]:
        return [q for q in qids if prepared.get(q) and any(g >= rel_min for g in qrels[q].values())]

    for m in parsed:
        rel_min = spec.relevance_threshold if m.name in BINARY else 1
        qs = usable(rel_min)
        if not qs:
            continue
        rq = RQrels({q: {d: max(g, 0) for d, g in qrels[q].items()} for q in qs})
        rr = RRun({q: _rank_scores(prepared[q]) for q in qs})
        rid = m.ranx_id(spec.relevance_threshold)
        ranx_evaluate(rq, rr, [rid], return_mean=False, save_results_in_run=True)
        for q, v in rr.scores[rid].items():
            per_query[m.id][q] = 0.0 if math.isnan(v) else float(v)

    means = {m: (float(np.mean(list(v.values()))) if v else 0.0) for m, v in per_query.items()}
    return Evaluation(means=means, per_query=per_query, query_ids=qids)


def _rank_scores(docs: dict[str, float]) -> dict[str, float]:
    """Replace scores by strictly decreasing values in the (already trec_eval-sorted) order."""
    n = len(docs)
    return {d: float(n - i) for i, d in enumerate(docs)}
