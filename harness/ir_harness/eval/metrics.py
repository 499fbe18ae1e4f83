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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from ir_harness.eval.metric_names import Metric, parse_measures
from ir_harness.eval.qrels_table import QrelsTable, judged_from_dict
from ir_harness.eval.rank_metrics import Hits, metric_values
from ir_harness.eval.ranking import RunPairs, ranked
from ir_harness.eval.run_table import RunTable

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels, Run, TaskData
    from ir_harness.data.spec import TaskSpec


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
    table = RunTable.from_dict(run).prepared(
        depth=depth, excluded_ids=excluded_ids, ignore_identical_ids=ignore_identical_ids
    )
    kept = table.to_dict()
    return {q: kept.get(q, {}) for q in run}  # queries with nothing left stay, empty


@dataclass
class Evaluation:
    """Mean and per-query metric values plus the queries they average over."""

    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    query_ids: list[str]


def evaluate(
    run: Run | RunTable,
    qrels: Qrels,
    spec: TaskSpec,
    data: TaskData | None = None,
    metrics: tuple[str, ...] | None = None,
    depth: int | Literal["task"] | None = "task",
) -> Evaluation:
    """Score ``run`` with the task's conventions. Does not modify ``run``.

    ``depth``: documents kept per query before scoring. ``"task"`` (the default, for the task's
    own runs) cuts at ``spec.run_depth``; None keeps every document, as ``trec_eval`` does with a
    submitted run file; an integer cuts there.
    """
    parsed = [m for name in (metrics or spec.metrics) for m in parse_measures(name)]
    return evaluate_measures(
        run,
        qrels,
        parsed,
        threshold=spec.relevance_threshold,
        average_over=spec.average_over,
        depth=spec.run_depth if depth == "task" else depth,
        excluded_ids=data.excluded_ids if data else None,
        ignore_identical_ids=spec.ignore_identical_ids,
    )


def evaluate_measures(
    run: Run | RunTable,
    qrels: Qrels | QrelsTable,
    measures: list[Metric],
    *,
    threshold: int = 1,
    average_over: str = "qrels",
    depth: int | None = None,
    excluded_ids: dict[str, set[str]] | None = None,
    ignore_identical_ids: bool = False,
) -> Evaluation:
    """Score ``run`` on parsed measures: the providers behind every scoring path.

    The judged rows of the run are placed in trec_eval order and cut at ``depth``
    (:mod:`ir_harness.eval.ranking`; the full order only for ranx's inputs); each measure goes to its
    provider: numpy operations over the judged rows (:mod:`ir_harness.eval.rank_metrics`, equal
    to ranx's kernels bit for bit, and :mod:`ir_harness.eval.beyond_trec`), or ranx's numba
    kernels (f1, bpref, Burges' gains), their inputs built once. RBP adds its residual as a
    second value (``rbp_residual(p=X)``). Qrels as columns (:class:`QrelsTable`) give the same
    numbers as the same judgments nested.
    """
    parsed = list({m.id: m for m in measures}.values())
    table = run if isinstance(run, RunTable) else RunTable.from_dict(run)
    kept = ranked(
        table, depth=depth, excluded_ids=excluded_ids, ignore_identical_ids=ignore_identical_ids
    )
    answered = {  # query id -> its code, for the queries with a document left to score
        qid: code for code, qid in enumerate(table.qids.tolist()) if kept.n_ranked[code] > 0
    }
    columns = qrels if isinstance(qrels, QrelsTable) else None
    nested: Qrels = {} if isinstance(qrels, QrelsTable) else qrels
    if columns is not None:
        top_grade = columns.max_grades()
        judged = list(top_grade)
    else:
        top_grade = {q: max(docs.values()) for q, docs in nested.items() if docs}
        judged = [q for q in nested if nested[q]]
    if average_over == "intersection":
        qids = [q for q in judged if q in answered]
    else:
        qids = judged
    qids.sort()
    per_query: dict[str, dict[str, float]] = {}
    for m in parsed:
        per_query[m.id] = dict.fromkeys(qids, 0.0)
        if m.name == "rbp":  # an unanswered query could still be anything: residual 1
            per_query[m.residual_id] = dict.fromkeys(qids, 1.0)

    groups: dict[tuple[int, bool], list[Metric]] = {}
    for m in parsed:
        groups.setdefault((m.level(threshold), m.name in _EVERY_ANSWERED), []).append(m)
    inputs: _RanxInputs | None = None
    doc_code: dict[str, int] | None = None
    run_codes: np.ndarray | None = None
    judged_docs: np.ndarray | None = None  # which of the run's documents any query judges
    # the widest group first (every answered query, then the lowest level): the judged rows of
    # the later groups are among its rows, whose positions are then known
    for (rel_min, every_answered), group in sorted(groups.items(), key=_widest_first):
        # ranx needs at least one positive judgment and one retrieved doc per query: the rest
        # score 0 by definition (nothing relevant can be found / nothing was returned).
        qs = [q for q in qids if q in answered and (every_answered or top_grade[q] >= rel_min)]
        if not qs:
            continue
        codes = np.array([answered[q] for q in qs], dtype=np.int64)
        if columns is not None:
            if run_codes is None:
                run_codes = columns.run_codes(table.dids)
            if judged_docs is None:
                judged_docs = _mask(kept.n_docs, run_codes[run_codes >= 0])
            judgments = columns.judged(qs, run_codes, RunPairs(kept, codes, judged_docs))
        else:
            if doc_code is None:
                doc_code = {did: i for i, did in enumerate(table.dids.tolist())}
            if judged_docs is None:
                found = (doc_code.get(d, -1) for docs in nested.values() for d in docs)
                judged_docs = _mask(kept.n_docs, np.array([c for c in found if c >= 0], np.int64))
            pairs = RunPairs(kept, codes, judged_docs)
            judgments = judged_from_dict(nested, qs, doc_code, pairs)
        hits = Hits(kept, codes, judgments)
        scores: dict[str, np.ndarray] = {}
        for m in group:
            scores.update(_numpy_provider(hits, m, rel_min))
        rest = [m for m in group if m.id not in scores]
        if rest:  # measures only ranx computes (f1, bpref, Burges' gains)
            if inputs is None:
                prepared = table.prepared(
                    depth=depth,
                    excluded_ids=excluded_ids,
                    ignore_identical_ids=ignore_identical_ids,
                )
                if doc_code is None:
                    doc_code = {did: i for i, did in enumerate(table.dids.tolist())}
                as_dict = columns.to_dict() if columns is not None else nested
                inputs = _RanxInputs(prepared, as_dict, doc_code)
            ids = [m.ranx_id(threshold) for m in rest]
            out = inputs.evaluate(qs, ids)
            scores.update({m.id: out[rid] for m, rid in zip(rest, ids, strict=True)})
        for key, raw in scores.items():
            values = np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=0.0)
            per_query[key].update(zip(qs, values.tolist(), strict=True))
        del hits  # before the next group's: two at once doubled the peak on large qrels

    means = {m: (float(np.mean(list(v.values()))) if v else 0.0) for m, v in per_query.items()}
    return Evaluation(means=means, per_query=per_query, query_ids=qids)


def _mask(n: int, true_at: np.ndarray) -> np.ndarray:
    out = np.zeros(max(n, 1), dtype=bool)
    out[true_at] = True
    return out


def _widest_first(item: tuple[tuple[int, bool], list[Metric]]) -> tuple[bool, int]:
    (level, every_answered), _ = item
    return (not every_answered, level)


# Measures defined for every answered query, relevant documents or not.
_EVERY_ANSWERED = {"judged", "rbp"}


def _numpy_provider(hits: Hits, m: Metric, level: int) -> dict[str, np.ndarray]:
    """Per-query values of ``m`` from numpy over the judged rows; empty where ranx must."""
    from ir_harness.eval import beyond_trec

    k = m.k or 0
    if m.name == "judged":
        return {m.id: beyond_trec.judged(hits, k)}
    if m.name == "err":
        return {m.id: beyond_trec.err(hits, k)}
    if m.name == "rbp":
        value, residual = beyond_trec.rbp(hits, m.persistence, level)
        return {m.id: value, m.residual_id: residual}
    values = metric_values(hits.condensed() if m.judged_only else hits, m.name, k, level)
    return {} if values is None else {m.id: values}


class _RanxInputs:
    """ranx's numba inputs for a prepared run: one ``(doc code, score)`` array per query.

    Document ids become integer codes shared by run and qrels (exact in float64, unlike
    ranx's string hashes); run rows keep the trec_eval order with strictly decreasing
    rank-derived scores, qrels rows are sorted by grade desc as ranx's ``Qrels`` would be.
    """

    def __init__(
        self,
        prepared: RunTable,
        qrels: Qrels,
        doc_code: dict[str, int],
    ):
        n = len(prepared)
        rank = np.empty(n, dtype=np.float64)
        codes, bounds = prepared.groups()
        self.answered = {  # query id -> its rows in the prepared table
            qid: (int(bounds[i]), int(bounds[i + 1]))
            for i, qid in enumerate(prepared.qids[codes].tolist())
        }
        if n:
            sizes = np.diff(bounds)
            starts = np.repeat(bounds[:-1], sizes)
            rank = (np.repeat(sizes, sizes) - (np.arange(n) - starts)).astype(np.float64)
        self.rows = np.column_stack((prepared.d.astype(np.float64), rank))
        self.qrels = qrels
        self.doc_code = doc_code

    def _qrels_array(self, q: str) -> np.ndarray:
        docs = self.qrels[q]
        extra = len(self.doc_code)
        ids = np.empty(len(docs), dtype=np.float64)
        for i, did in enumerate(docs):
            code = self.doc_code.get(did)
            if code is None:  # judged but never retrieved: any code no run row has
                code = extra
                extra += 1
            ids[i] = code
        grades = np.maximum(np.fromiter(docs.values(), dtype=np.float64, count=len(docs)), 0)
        order = np.argsort(-grades, kind="stable")
        return np.ascontiguousarray(np.column_stack((ids[order], grades[order])))

    def evaluate(self, qs: list[str], metric_ids: list[str]) -> dict[str, np.ndarray]:
        """Per-query values (in ``qs`` order) of every metric, from one ``ranx.evaluate`` call."""
        _set_numba_cache()
        from ir_harness.eval.ranx_kernels import evaluate_lists
        from ir_harness.eval.ranx_lists import split_rows

        spans = np.array([self.answered[q] for q in qs], dtype=np.int64)
        take = np.concatenate([np.arange(a, b) for a, b in spans]) if len(spans) else spans
        run_bounds = np.concatenate([[0], np.cumsum(spans[:, 1] - spans[:, 0])])
        run = split_rows(np.ascontiguousarray(self.rows[take]), run_bounds)
        arrays = [self._qrels_array(q) for q in qs]
        qrels_bounds = np.concatenate([[0], np.cumsum([len(a) for a in arrays])]).astype(np.int64)
        qrels = split_rows(np.concatenate(arrays), qrels_bounds)
        return evaluate_lists(qrels, run, metric_ids)


def _set_numba_cache() -> None:
    """Cache numba's compiled code (ranx's kernels, ours) under the harness cache folder.

    ranx's kernels are ``@njit(cache=True)``; numba stores them next to ranx's sources, or
    nowhere when site-packages is read-only, and then every process compiled them again
    (6.7 s). ``NUMBA_CACHE_DIR`` (default ``<cache>/numba``; set it to move the cache) must be
    known before numba is imported, so it is set here unless the user chose one.
    """
    import os
    import sys

    if "NUMBA_CACHE_DIR" not in os.environ:
        from ir_harness.run.context import default_cache_dir

        cache = str(default_cache_dir() / "numba")
        os.environ["NUMBA_CACHE_DIR"] = cache
        if "numba" in sys.modules:  # imported earlier by someone else: tell its config
            sys.modules["numba"].config.CACHE_DIR = cache
