"""``Pipeline.run`` on a tiny inline task: first stage, rerank-depth cut, tail merge, quirk filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.data.spec import TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.protocols import SystemMeta
from ir_harness.run.context import RunContext
from ir_harness.run.pipeline import Pipeline, cut, merge_tail

if TYPE_CHECKING:
    from ir_harness.data.model import Queries, Run

CORPUS = Corpus(Document(d, t) for d, t in [("a", "x"), ("b", "x"), ("c", "x"), ("d", "x")])
QUERIES = {"q1": "find", "a": "self-hit query"}


class Fixed:
    """A retriever with a fixed ranking a > b > c > d for every query."""

    def meta(self) -> SystemMeta:
        return SystemMeta(name="fixed")

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        pass

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        return {
            q: dict(list({"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0}.items())[:k]) for q in queries
        }


class Reverse:
    """A reranker that reverses what it is given and records what it saw."""

    seen: ClassVar[list[Run]] = []

    def meta(self) -> SystemMeta:
        return SystemMeta(name="reverse", kind="reranker")

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        Reverse.seen.append(candidates)
        return {q: {d: -s for d, s in docs.items()} for q, docs in candidates.items()}


def spec(**kw: object) -> TaskSpec:
    return TaskSpec(name="inline", family="inline", **kw)  # type: ignore[arg-type]


def order(run: Run) -> dict[str, list[str]]:
    return {
        q: [d for d, _ in sorted(docs.items(), key=lambda kv: -kv[1])] for q, docs in run.items()
    }


@pytest.fixture
def ctx() -> RunContext:
    Reverse.seen.clear()
    return RunContext(progress=False)


def test_rerank_depth_cut_and_tail_merge(ctx: RunContext) -> None:
    pipe = Pipeline(["fixed", "reverse"], [Fixed(), Reverse()], {})
    out = pipe.run({"q1": "find"}, CORPUS, None, spec(rerank_depth=2, run_depth=10), ctx)
    assert Reverse.seen == [{"q1": {"a": 4.0, "b": 3.0}}]  # only the top 2 reach the reranker
    assert order(out) == {"q1": ["b", "a", "c", "d"]}  # the tail keeps its order underneath


def test_quirk_filter_runs_before_later_stages(ctx: RunContext) -> None:
    pipe = Pipeline(["fixed", "reverse"], [Fixed(), Reverse()], {})
    task = spec(rerank_depth=2, run_depth=10, ignore_identical_ids=True)
    out = pipe.run(QUERIES, CORPUS, None, task, ctx, {"q1": {"b"}})
    assert Reverse.seen == [{"q1": {"a": 4.0, "c": 2.0}, "a": {"b": 3.0, "c": 2.0}}]
    assert order(out) == {"q1": ["c", "a", "d"], "a": ["c", "b", "d"]}
    assert list(out) == list(QUERIES)


def test_given_candidates_are_reranked_by_the_first_stage(ctx: RunContext) -> None:
    pipe = Pipeline(["reverse"], [Reverse()], {})
    given = {"q1": {"c": 3.0, "d": 2.0, "a": 1.0}}
    out = pipe.run({"q1": "find"}, CORPUS, given, spec(rerank_depth=2), ctx)
    assert order(out) == {"q1": ["d", "c", "a"]}


def test_stage_that_cannot_do_the_job_is_a_config_error(ctx: RunContext) -> None:
    with pytest.raises(ConfigError, match="reranking task; system 'fixed' cannot rerank"):
        Pipeline(["fixed"], [Fixed()], {}).run({"q1": "x"}, CORPUS, {"q1": {}}, spec(), ctx)
    with pytest.raises(ConfigError, match="first stage 'reverse' must be a retriever"):
        Pipeline(["reverse"], [Reverse()], {}).run({"q1": "x"}, CORPUS, None, spec(), ctx)


def test_cut_and_merge_tail_helpers() -> None:
    assert cut({"q": {"x": 1.0, "y": 2.0, "z": 0.5}}, 1) == {"q": {"y": 2.0}}
    merged = merge_tail({"q": {"y": 0.0}}, {"q": {"x": 1.0, "y": 2.0, "z": 0.5}})
    assert merged == {"q": {"y": 0.0, "x": -1.0, "z": -2.0}}
