"""Ranking data from Hugging Face datasets in the layout MTEB publishes: configs ``corpus``
(``_id``, ``text``, ``title``), ``queries`` (``_id``, ``text``) and ``default`` (the qrels:
``query-id``, ``corpus-id``, ``score``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.data.model import Corpus, Document, Qrels, TaskData

if TYPE_CHECKING:
    from collections.abc import Iterable


def task_data_from_rows(
    corpus: Iterable[dict[str, Any]],
    queries: Iterable[dict[str, Any]],
    qrels: Iterable[dict[str, Any]],
    source: str,
) -> TaskData:
    """TaskData from the three configs' rows (the online path; tested on inline rows)."""
    q: Qrels = {}
    for r in qrels:
        q.setdefault(str(r["query-id"]), {})[str(r["corpus-id"])] = int(r["score"])
    return TaskData(
        corpus=Corpus(Document(str(d["_id"]), d["text"], d.get("title") or "") for d in corpus),
        queries={str(x["_id"]): x["text"] for x in queries},
        qrels=q,
        source=source,
    )


def load_hub_ranking(hf_id: str, split: str = "test") -> TaskData:
    """Download (once, into the datasets cache) and read ``hf_id``; qrels of ``split``."""
    from datasets import load_dataset

    return task_data_from_rows(
        load_dataset(hf_id, "corpus", split="corpus"),
        load_dataset(hf_id, "queries", split="queries"),
        load_dataset(hf_id, "default", split=split),
        source=f"hf:{hf_id}",
    )
