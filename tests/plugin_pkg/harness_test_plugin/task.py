"""A task plugin: three documents and two queries, inline."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ir_harness.data.model import Corpus, Document, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.task import Task

if TYPE_CHECKING:
    from pathlib import Path


class TinyTask(Task):
    family: ClassVar[str] = "plugin-tiny"
    description: ClassVar[str] = "three inline documents, two queries (test plugin)"

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        return TaskSpec(
            name=self.family,
            family=self.family,
            metrics=("ndcg@10", "recall@1"),
            main_metric="ndcg@10",
            sources=(DataSourceSpec(kind="generated", location="inline"),),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        corpus = Corpus(
            [
                Document("d1", "apples and pears"),
                Document("d2", "green apples"),
                Document("d3", "blue sky over the sea"),
            ]
        )
        queries = {"q1": "green apples", "q2": "sky"}
        qrels = {"q1": {"d2": 1}, "q2": {"d1": 1}}
        return TaskData(corpus=corpus, queries=queries, qrels=qrels, source="inline")
