"""Training records: which queries a model learned from, and whether a result was scored on them.

``harness train`` writes a ``training_queries`` record (task, split, method, count and hash of
the query ids, and the ids themselves when they are few enough to store) into every checkpoint's
``harness_train.json``; systems carry that file into their ``SystemMeta.parameters["training"]``.
A result whose evaluated queries overlap a stage's training queries is marked "trained on these
queries": its number is not a held-out score, so it is never "best" and never the reference of
significance-vs-best.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

TRAINED_LABEL = "trained on these queries"
MAX_STORED_IDS = 20_000  # beyond this only the count and hash are kept (MS MARCO triples)


def query_ids_hash(qids: Iterable[str]) -> str:
    """Order-free hash of a set of query ids (sha256 of the sorted ids, one per line)."""
    return hashlib.sha256("\n".join(sorted(set(qids))).encode()).hexdigest()[:16]


def dataset_of(task: str) -> str:
    """The dataset a task name draws its query ids from: the family (``trec-dl/2019/bm25-top100``
    -> ``trec-dl``, ``nfcorpus/dev`` -> ``nfcorpus``), or family/dataset when the task's subsets
    name datasets of their own (``Task.dataset_subset``: ``beir/scifact/test`` ->
    ``beir/scifact``)."""
    from ir_harness.registry import TASKS
    from ir_harness.task import Task

    parts = task.split("[", 1)[0].split("/")
    cls = TASKS.get(parts[0]) if parts[0] in TASKS else None
    own = (
        cls.dataset_subset("/".join(parts[1:]))
        if isinstance(cls, type) and issubclass(cls, Task)
        else ""
    )
    return f"{parts[0]}/{own}" if own else parts[0]


def training_queries_record(
    task: str | None, split: str | None, method: str, qids: Iterable[str], source: str = ""
) -> dict[str, Any]:
    """The record a trained checkpoint stores about its training queries."""
    ids = sorted(set(qids))
    return {
        "task": task,
        "split": split,
        "method": method,
        "source": source,
        "n_queries": len(ids),
        "query_ids_hash": query_ids_hash(ids),
        "query_ids": ids if len(ids) <= MAX_STORED_IDS else None,
    }


def _records(stages: Iterable[Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for st in stages:
        params = st.parameters if hasattr(st, "parameters") else (st.get("parameters") or {})
        name = st.name if hasattr(st, "name") else st.get("name", "")
        tr = params.get("training") if isinstance(params, dict) else None
        tq = tr.get("training_queries") if isinstance(tr, dict) else None
        if isinstance(tq, dict):
            yield name, tq


def training_overlap(
    stages: Iterable[Any], task: str, evaluated: Iterable[str]
) -> dict[str, Any] | None:
    """The "trained on these queries" mark, or None when no stage trained on evaluated queries.

    Ids are compared only when the training task draws from the same dataset as ``task`` (query
    ids like ``1`` or ``q3`` recur across unrelated datasets). With no stored ids, a training set
    whose hash equals the evaluated set's hash still counts as a full overlap.
    """
    ev = set(evaluated)
    worst: dict[str, Any] | None = None
    for stage, tq in _records(stages):
        if not tq.get("task") or dataset_of(tq["task"]) != dataset_of(task):
            continue
        ids = tq.get("query_ids")
        if ids is not None:
            n = len(ev & set(ids))
        else:
            n = len(ev) if tq.get("query_ids_hash") == query_ids_hash(ev) else 0
        if n and (worst is None or n > worst["overlap"]):
            worst = {
                "label": TRAINED_LABEL,
                "overlap": n,
                "evaluated_queries": len(ev),
                "stage": stage,
                "training_task": tq["task"],
                "training_split": tq.get("split"),
                "training_method": tq.get("method"),
                "training_queries": tq.get("n_queries"),
                "training_query_ids_hash": tq.get("query_ids_hash"),
            }
    return worst
