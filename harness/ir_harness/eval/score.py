"""``ir_harness.score``: any run against any qrels, on any measure names, as plain numbers.

Runs and qrels may be TREC files (paths), nested dicts (``{qid: {docid: score}}``), pandas
DataFrames in TREC columns (``query_id``/``q_id``/``qid``, ``doc_id``/``docid``, ``score``;
qrels ``relevance``/``rel``/``grade``/``score``) or ranx ``Run``/``Qrels`` objects. Measure names
are trec_eval's or ir_measures' (:mod:`ir_harness.eval.metric_names`). With a task spec its
conventions apply (relevance threshold, queries averaged, excluded ids, run depth); without,
trec_eval's defaults: every judged query counts (``-c``), grade >= 1 is relevant, every document
of the run is scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from ir_harness.errors import ConfigError, check_type
from ir_harness.eval.metric_names import Metric, parse_measures

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels, TaskData
    from ir_harness.data.spec import TaskSpec
    from ir_harness.eval.metrics import Evaluation
    from ir_harness.eval.qrels_table import QrelsTable
    from ir_harness.eval.run_table import RunTable

DEFAULT_MEASURES = ("ndcg@10", "map", "precision@10", "recall@1000", "mrr")
_QUERY_COLS = ("query_id", "q_id", "qid")
_DOC_COLS = ("doc_id", "docid", "d_id", "did")
_RUN_SCORE_COLS = ("score",)
_GRADE_COLS = ("relevance", "rel", "grade", "label", "score")
# the keywords of ``score`` besides run, qrels, measures and per_query
CONVENTIONS = ("spec", "data", "relevance_threshold", "average_over", "depth")


def measures_of(names: str | Metric | Sequence[str | Metric]) -> list[Metric]:
    """Parsed measures, each once, in the order given (trec_eval's ``P.5,10`` is two)."""
    what = "a measure name, a Metric, or a list of them (e.g. ['ndcg@10', 'map'])"
    check_type("measures", names, (str, Metric, list, tuple), what)
    items = [names] if isinstance(names, str | Metric) else list(names)
    if not items:
        raise ConfigError("no measures given")
    for item in items:
        check_type("measures", item, (str, Metric), what)
    out: dict[str, Metric] = {}
    for item in items:
        for m in [item] if isinstance(item, Metric) else parse_measures(str(item)):
            out.setdefault(m.id, m)
    return list(out.values())


@overload
def score(
    run: Any,
    qrels: Any,
    measures: str | Sequence[str | Metric] = ...,
    per_query: Literal[False] = ...,
    **conventions: Any,
) -> dict[str, float]:
    """``per_query`` False: one mean per measure."""


@overload
def score(
    run: Any,
    qrels: Any,
    measures: str | Sequence[str | Metric] = ...,
    per_query: Literal[True] = ...,
    **conventions: Any,
) -> dict[str, dict[str, float]]:
    """``per_query`` True: ``{measure: {qid: value}}``."""


def score(
    run: Any,
    qrels: Any,
    measures: str | Sequence[str | Metric] = DEFAULT_MEASURES,
    per_query: bool = False,
    **conventions: Any,
) -> dict[str, float] | dict[str, dict[str, float]]:
    """Mean of each measure over the queries averaged, or ``{measure: {qid: value}}``.

    ``conventions`` (keywords of :func:`score_run`): ``spec``/``data`` (a task's conventions),
    or ``relevance_threshold``, ``average_over`` ("qrels" or "intersection") and ``depth``.
    RBP adds its residual as ``rbp_residual(p=X)``.
    """
    check_type("per_query", per_query, bool, "True or False")
    if unknown := sorted(set(conventions) - set(CONVENTIONS)):
        raise ConfigError(
            f"score: unknown keyword(s) {', '.join(unknown)}; expected: {', '.join(CONVENTIONS)}"
        )
    ev = score_run(run, qrels, measures, **conventions)
    return ev.per_query if per_query else ev.means


def score_run(
    run: Any,
    qrels: Any,
    measures: str | Sequence[str | Metric] | None = None,
    *,
    spec: TaskSpec | None = None,
    data: TaskData | None = None,
    relevance_threshold: int | None = None,
    average_over: Literal["qrels", "intersection"] | None = None,
    depth: int | Literal["task"] | None = None,
) -> Evaluation:
    """:func:`score` with the queries averaged kept (what the CLI and the runner store).

    ``measures`` None: the spec's, else :data:`DEFAULT_MEASURES`. ``depth`` "task" cuts at the
    spec's run depth; None scores every document; explicit keywords override the spec's.
    """
    from ir_harness.eval.metrics import evaluate_measures

    _check_conventions(spec, data, relevance_threshold, average_over, depth)
    chosen = measures if measures is not None else (spec.metrics if spec else DEFAULT_MEASURES)
    threshold = relevance_threshold or (spec.relevance_threshold if spec else 1)
    if threshold < 1:
        raise ConfigError(f"relevance_threshold {threshold} must be at least 1")
    over = average_over or (spec.average_over if spec else "qrels")
    if over not in ("qrels", "intersection"):
        raise ConfigError(f"average_over {over!r}: expected 'qrels' or 'intersection'")
    if depth == "task":
        if spec is None:
            raise ConfigError("depth='task' needs a task spec")
        depth = spec.run_depth
    return evaluate_measures(
        as_run_table(run),
        as_qrels(qrels),
        measures_of(chosen),
        threshold=threshold,
        average_over=over,
        depth=depth,
        excluded_ids=data.excluded_ids if data else None,
        ignore_identical_ids=spec.ignore_identical_ids if spec else False,
    )


def _check_conventions(
    spec: Any, data: Any, relevance_threshold: Any, average_over: Any, depth: Any
) -> None:
    """The convention keywords' types, checked before anything is read (the spec and data
    classes imported only when given: pydantic's models cost 0.17 s of a cold ``eval --qrels``)."""
    if spec is not None:
        from ir_harness.data.spec import TaskSpec

        check_type("spec", spec, TaskSpec, "a TaskSpec (a task's .spec(subset)) or None")
    if data is not None:
        from ir_harness.data.model import TaskData

        check_type("data", data, TaskData, "a TaskData (a task's .load(...)) or None")
    if relevance_threshold is not None:
        check_type("relevance_threshold", relevance_threshold, int, "a whole number >= 1")
    if average_over is not None:
        check_type("average_over", average_over, str, "'qrels' or 'intersection'")
    if depth is not None and depth != "task":
        check_type("depth", depth, int, "a whole number of documents, 'task' or None")


def _is_ranx(obj: Any, name: str) -> bool:
    return type(obj).__name__ == name and type(obj).__module__.startswith("ranx")


def _is_frame(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and type(obj).__module__.startswith("pandas")


def _column(frame: Any, names: tuple[str, ...], what: str, kind: str) -> str:
    for n in names:
        if n in frame.columns:
            return n
    raise ConfigError(
        f"{kind} DataFrame has no {what} column (columns {list(frame.columns)}; "
        f"expected one of {', '.join(names)})"
    )


def as_run_table(run: Any) -> RunTable:
    """A run as columns, from a path, a RunTable, a nested dict, a DataFrame or a ranx Run."""
    from ir_harness.data.formats import read_trec_run_table
    from ir_harness.eval.run_table import RunTable

    if isinstance(run, RunTable):
        return run
    if isinstance(run, str | Path):
        return read_trec_run_table(run)
    if _is_ranx(run, "Run"):
        run = run.to_dict()
    if _is_frame(run):
        return _run_from_frame(run)
    if isinstance(run, Mapping):
        for qid, docs in run.items():
            if not isinstance(docs, Mapping):
                raise ConfigError(
                    f"run query {qid!r}: expected {{doc_id: score}}, got {type(docs).__name__}"
                )
        clean = {
            str(q): {str(d): _number(q, d, s, "score") for d, s in docs.items()}
            for q, docs in run.items()
        }
        return RunTable.from_dict(clean)
    raise ConfigError(
        f"run of type {type(run).__name__}: expected a path, a {{qid: {{docid: score}}}} dict, "
        "a pandas DataFrame (query_id, doc_id, score) or a ranx Run"
    )


def _number(qid: Any, did: Any, value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"query {qid!r}, document {did!r}: {what} {value!r} is not a number"
        ) from None
    if np.isnan(out) and what == "grade":
        raise ConfigError(f"query {qid!r}, document {did!r}: grade is NaN")
    return out


def _run_from_frame(frame: Any) -> RunTable:
    import pandas as pd

    from ir_harness.eval.run_table import RunTable

    qcol = _column(frame, _QUERY_COLS, "query id", "run")
    dcol = _column(frame, _DOC_COLS, "document id", "run")
    scol = _column(frame, _RUN_SCORE_COLS, "score", "run")
    q, qids = pd.factorize(frame[qcol].astype(str).to_numpy(), sort=False)
    d, dids = pd.factorize(frame[dcol].astype(str).to_numpy(), sort=False)
    try:
        scores = frame[scol].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"run DataFrame column {scol!r} is not numeric") from None
    table = RunTable(
        np.asarray(qids, dtype=object),
        np.asarray(dids, dtype=object),
        q.astype(np.int64),
        d.astype(np.int64),
        scores,
    )
    dup = table.first_duplicate()
    if dup is not None:
        raise ConfigError(
            f"run DataFrame row {dup}: document {table.dids[table.d[dup]]!r} appears twice for "
            f"query {table.qids[table.q[dup]]!r}"
        )
    return table


def as_qrels(qrels: Any) -> Qrels | QrelsTable:
    """Qrels as ``{qid: {docid: grade}}`` from a path, a dict, a DataFrame or a ranx Qrels (a
    :class:`QrelsTable`, as ``harness eval --qrels`` reads a file, is taken as it is)."""
    from ir_harness.data.formats import read_trec_qrels
    from ir_harness.eval.qrels_table import QrelsTable

    if isinstance(qrels, QrelsTable):
        return qrels
    if isinstance(qrels, str | Path):
        return read_trec_qrels(qrels)
    if _is_ranx(qrels, "Qrels"):
        qrels = qrels.to_dict()
    if _is_frame(qrels):
        qcol = _column(qrels, _QUERY_COLS, "query id", "qrels")
        dcol = _column(qrels, _DOC_COLS, "document id", "qrels")
        gcol = _column(qrels, _GRADE_COLS, "relevance", "qrels")
        out: dict[str, dict[str, int]] = {}
        rows = zip(
            qrels[qcol].astype(str).tolist(),
            qrels[dcol].astype(str).tolist(),
            qrels[gcol].tolist(),
            strict=True,
        )
        for q, d, g in rows:
            out.setdefault(q, {})[d] = _grade(q, d, g)
        return out
    if isinstance(qrels, Mapping):
        result: dict[str, dict[str, int]] = {}
        for q, docs in qrels.items():
            if not isinstance(docs, Mapping):
                raise ConfigError(
                    f"qrels query {q!r}: expected {{doc_id: grade}}, got {type(docs).__name__}"
                )
            result[str(q)] = {str(d): _grade(q, d, g) for d, g in docs.items()}
        return result
    raise ConfigError(
        f"qrels of type {type(qrels).__name__}: expected a path, a {{qid: {{docid: grade}}}} "
        "dict, a pandas DataFrame (query_id, doc_id, relevance) or a ranx Qrels"
    )


def _grade(qid: Any, did: Any, value: Any) -> int:
    g = _number(qid, did, value, "grade")
    if g != round(g):
        raise ConfigError(f"query {qid!r}, document {did!r}: grade {value!r} is not an integer")
    return int(g)
