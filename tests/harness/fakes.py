"""Tiny, dependency-free plugins for exercising the core (registered only inside tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ir_harness.data.model import Corpus, Document, TaskData
from ir_harness.data.spec import TaskSpec
from ir_harness.protocols import SystemMeta
from ir_harness.task import Task

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.data.model import Queries, Run
    from ir_harness.run.context import RunContext


class OverlapRetriever:
    """Scores a document by how many query words it contains; counts calls for resume tests."""

    calls: ClassVar[list[list[str]]] = []

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.corpus: Corpus | None = None

    def meta(self) -> SystemMeta:
        return SystemMeta(name="overlap", kind="lexical", backend="python")

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        self.corpus = corpus

    def _score(self, q: str, text: str) -> float:
        words = set(q.lower().replace("?", "").split())
        return (
            float(sum(w.strip(",.") in words for w in text.lower().split())) + 1e-3 * len(text) % 1
        )

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        assert self.corpus is not None
        OverlapRetriever.calls.append(sorted(queries))
        if self.fail_after is not None and len(OverlapRetriever.calls) > self.fail_after:
            raise RuntimeError("simulated crash")
        out: Run = {}
        for qid, q in queries.items():
            scores = {d: self._score(q, doc.full_text) for d, doc in self.corpus.items()}
            out[qid] = dict(sorted(scores.items(), key=lambda kv: -kv[1])[:k])
        return out

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        return {q: {d: -len(d) for d in docs} for q, docs in candidates.items()}


class TinyTask(Task):
    family: ClassVar[str] = "tiny"
    description: ClassVar[str] = "three documents, three queries"
    corpus_lines: ClassVar[list[tuple[str, str]]] = [
        ("d1", "red apples and pears"),
        ("d2", "green apples"),
        ("d3", "blue sky"),
    ]

    def subsets(self) -> list[str]:
        return ["", "rerank"]

    def spec(self, subset: str) -> TaskSpec:
        return TaskSpec(
            name="tiny" + (f"/{subset}" if subset else ""),
            family="tiny",
            subset=subset,
            metrics=("ndcg@10", "recall@2"),
            main_metric="ndcg@10",
            run_depth=3,
            rerank_depth=2,
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        corpus = Corpus(Document(i, t) for i, t in self.corpus_lines)
        queries = {"q1": "red apples", "q2": "green apples", "q3": "sky"}
        qrels = {"q1": {"d1": 2}, "q2": {"d2": 1}, "q3": {"d3": 1}}
        cands = (
            {
                "q1": {"d1": 3.0, "d2": 2.0, "d3": 1.0},
                "q2": {"d1": 1.0, "d2": 0.5},
                "q3": {"d3": 1.0},
            }
            if subset
            else None
        )
        return TaskData(
            corpus=corpus, queries=queries, qrels=qrels, candidates=cands, source="inline"
        )


class TinyFamily(TinyTask):
    """A family whose score is the mean of its two members."""

    def family_members(self, subset: str = "") -> list[str]:
        return ["a", "b"] if subset == "" else []

    def subsets(self) -> list[str]:
        return ["a", "b"]

    def spec(self, subset: str) -> TaskSpec:
        return (
            super()
            .spec("rerank" if subset == "b" else "")
            .model_copy(update={"name": f"fam/{subset}"})
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return super().load("rerank" if subset == "b" else "", data_dir)
