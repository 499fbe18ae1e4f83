"""Turning any ir_datasets dataset into TaskData: the online path of every ranking task whose
data ir_datasets serves (TREC DL, BEIR, MS MARCO, the ``JsonlRankingTask`` kind).

Also accepts a dataset object, so tests can feed ``ir_datasets.create_dataset(...)`` built on
small local files in the official formats with the network off.
"""

from __future__ import annotations

from typing import Any

from ir_harness.corpus.sources import corpus_from_docs
from ir_harness.data.model import Corpus, Document, Qrels, Queries, TaskData


def _doc(d: Any) -> Document:
    text = getattr(d, "text", None)
    if text is None:
        text = getattr(d, "body", None) or getattr(d, "default_text", lambda: "")()
    return Document(d.doc_id, text, getattr(d, "title", "") or "")


def _query_text(q: Any) -> str:
    text = getattr(q, "text", None)
    return text if text is not None else q.default_text()


def load_irds(
    dataset: str | Any, *, with_docs: bool = True, docs_from: str | Any | None = None
) -> TaskData:
    """Load queries, qrels and (optionally) documents from an ir_datasets id or object."""
    import ir_datasets

    ds = ir_datasets.load(dataset) if isinstance(dataset, str) else dataset
    queries: Queries = {q.query_id: _query_text(q) for q in ds.queries_iter()}
    qrels: Qrels = {}
    for r in ds.qrels_iter():
        qrels.setdefault(r.query_id, {})[r.doc_id] = int(r.relevance)
    corpus = Corpus()
    if with_docs:
        docs_ds = (
            ds
            if docs_from is None
            else (ir_datasets.load(docs_from) if isinstance(docs_from, str) else docs_from)
        )
        corpus = corpus_from_docs(
            f"ir_datasets:{getattr(docs_ds, 'dataset_id', lambda: repr(docs_ds))()}",
            lambda: (_doc(d) for d in docs_ds.docs_iter()),
            _docs_count(docs_ds),
        )
    name = (
        dataset
        if isinstance(dataset, str)
        else getattr(dataset, "dataset_id", lambda: "ir_datasets")()
    )
    return TaskData(corpus=corpus, queries=queries, qrels=qrels, source=f"ir_datasets:{name}")


def _docs_count(ds: Any) -> int | None:
    """ir_datasets' declared document count (large corpora then stream into the store)."""
    try:
        n = ds.docs_count()
    except Exception:  # noqa: BLE001 - a count is only a hint
        return None
    return int(n) if n is not None else None
