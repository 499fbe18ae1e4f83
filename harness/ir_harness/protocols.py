"""Small typed protocols that system plugins implement, plus the metadata that feeds leaderboard columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext

# "oracle": an LLM stage answered by the simulated oracle (ir_harness.llm.oracle) from the qrels.
SystemKind = Literal[
    "lexical", "dense", "reranker", "llm", "trained", "pipeline", "oracle", "other"
]


class SystemMeta(BaseModel):
    """Who the system is: shown on the leaderboard and stored with every result."""

    name: str
    kind: SystemKind = "other"
    backbone: str = Field("", description="model id as the user gave it (HF id or path)")
    resolved_backbone: str = Field("", description="where the weights were actually loaded from")
    parameters: dict[str, Any] = Field(default_factory=dict)
    backend: str = Field(
        "", description="library that executed it, e.g. pyserini-lucene, sentence-transformers"
    )
    device: str = "cpu"


@runtime_checkable
class Retriever(Protocol):
    """Indexes a corpus, then returns each query's top-k documents with scores."""

    def meta(self) -> SystemMeta:
        """Who it is and how it ran: stored with every result and shown on the leaderboard."""

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        """Build whatever ``search`` needs; called once per corpus, before any search."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        """At most ``k`` scored documents per query, from the indexed corpus only."""


@runtime_checkable
class Reranker(Protocol):
    """Reorders given candidates; never sees documents outside them."""

    def meta(self) -> SystemMeta:
        """Who it is and how it ran: stored with every result and shown on the leaderboard."""

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """New scores for each query's candidates; a document not among them never appears."""


@runtime_checkable
class ExclusionAware(Protocol):
    """A first stage that must never even show a task's excluded ids (e.g. LATTICE's tree
    walk, which would otherwise spend LLM calls on them); the runner tells it before searching."""

    def set_excluded(self, excluded_ids: dict[str, set[str]]) -> None:
        """Query id -> ids it must never show; called before ``search``."""


@runtime_checkable
class OracleInformed(Protocol):
    """A system whose prompts an oracle LLM answers from more than their text, named by a short
    tag (``"tree"``: tree nodes graded by their member documents from the tree files). Results
    with an oracle ``llm`` carry the tag in their name (``oracle[...,sees=tree]``): a different
    bound from an oracle that reads only the prompt."""

    oracle_sees: str


@runtime_checkable
class RelevanceJudge(Protocol):
    """Labels (query id, passage id) pairs 0-3: what judge meta-evaluation tasks run."""

    def judge(
        self, queries: Queries, corpus: Corpus, pairs: list[tuple[str, str]], ctx: RunContext
    ) -> dict[tuple[str, str], int]:
        """A grade 0-3 for every given pair, compared with the qrels' grade by the task."""


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to vectors (STS tasks, MTEB). ``role`` is "query" or "document"."""

    def meta(self) -> SystemMeta:
        """Who it is and how it ran: stored with every result and shown on the leaderboard."""

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> Any:
        """One vector per text, in order (an array of shape ``(len(texts), dim)``)."""


# What a counter in a result's ``stats`` measures: the site sums LLM calls and tokens per query
# and shows each listwise stage's window outcomes by these kinds, never by a counter's name.
StatKind = Literal[
    "llm_calls",
    "llm_tokens",
    "windows",
    "windows_repaired",
    "windows_unchanged",
    "windows_unusable",
]


class StatTag(BaseModel):
    """The kind of one stats counter, and the stage it belongs to (window counts are per stage)."""

    model_config = ConfigDict(frozen=True)

    kind: StatKind
    stage: str = ""


@runtime_checkable
class DeclaresStats(Protocol):
    """A system whose counters in ``ctx.stats`` the site should read by kind."""

    def stat_tags(self) -> dict[str, StatTag]:
        """Counter name -> its kind and stage, for the counters this system keeps."""


# The counters every LLM session keeps (ir_harness.llm.session).
LLM_STATS = {
    "llm_calls": StatTag(kind="llm_calls"),
    "llm_prompt_tokens": StatTag(kind="llm_tokens"),
    "llm_completion_tokens": StatTag(kind="llm_tokens"),
}


def stat_tags(stages: Iterable[object], stats: Mapping[str, Any]) -> dict[str, StatTag]:
    """The tags of the counters a run kept: the LLM session's and its stages' own."""
    tags = dict(LLM_STATS)
    for s in stages:
        if isinstance(s, DeclaresStats):
            tags.update(s.stat_tags())
    return {k: t for k, t in sorted(tags.items()) if k in stats}
