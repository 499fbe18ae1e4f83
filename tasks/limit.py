"""LIMIT-small (google-deepmind/limit): 46 documents, 1,000 "Who likes X?" queries, 2 relevant each.

Main score recall@2, as MTEB labels it (``LIMITSmallRetrieval``); the paper's headline is
recall@100, reported beside it. Online home: the HF dataset ``orionweller/LIMIT-small`` in MTEB
format (configs ``corpus``, ``queries``, ``default`` for qrels).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.data import Corpus, Document, Qrels, TaskData
from harness.io import read_jsonl_corpus, read_jsonl_qrels, read_jsonl_queries
from harness.spec import DataSourceSpec, TaskSpec
from harness.task import load_local_or_online

if TYPE_CHECKING:
    from collections.abc import Iterable

HF_ID = "orionweller/LIMIT-small"


def from_mteb_rows(
    corpus: Iterable[dict[str, Any]],
    queries: Iterable[dict[str, Any]],
    qrels: Iterable[dict[str, Any]],
    source: str,
) -> TaskData:
    """Build TaskData from MTEB-format HF rows (the online path; tested on inline rows)."""
    q: Qrels = {}
    for r in qrels:
        q.setdefault(str(r["query-id"]), {})[str(r["corpus-id"])] = int(r["score"])
    return TaskData(
        corpus=Corpus(Document(str(d["_id"]), d["text"], d.get("title") or "") for d in corpus),
        queries={str(x["_id"]): x["text"] for x in queries},
        qrels=q,
        source=source,
    )


def load_hf_mteb(hf_id: str) -> TaskData:
    from datasets import load_dataset

    return from_mteb_rows(
        load_dataset(hf_id, "corpus", split="corpus"),
        load_dataset(hf_id, "queries", split="queries"),
        load_dataset(hf_id, "default", split="test"),
        source=f"hf:{hf_id}",
    )


def read_mteb_folder(folder: Path) -> TaskData:
    return TaskData(
        corpus=read_jsonl_corpus(folder / "corpus.jsonl"),
        queries=read_jsonl_queries(folder / "queries.jsonl"),
        qrels=read_jsonl_qrels(folder / "qrels.jsonl"),
        source=str(folder),
    )


class LimitSmallTask:
    family: ClassVar[str] = "limit-small"
    description: ClassVar[str] = (
        "LIMIT-small: 46 docs, 1000 queries x 2 relevant; recall@2 main (MTEB), recall@100 (paper)"
    )

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        return TaskSpec(
            name="limit-small",
            family=self.family,
            description=self.description,
            metrics=("recall@2", "recall@10", "recall@100", "ndcg@10"),
            main_metric="recall@2",
            average_over="intersection",
            run_depth=100,
            sources=(
                DataSourceSpec(kind="local", location="limit-small/qrels.jsonl"),
                DataSourceSpec(kind="hf", location=HF_ID),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return load_local_or_online(
            "limit-small",
            data_dir,
            Path("limit-small/qrels.jsonl"),
            lambda root: read_mteb_folder(root / "limit-small"),
            lambda: load_hf_mteb(HF_ID),
            f"HF datasets {HF_ID!r}",
        )
