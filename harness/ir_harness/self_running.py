"""Task kinds that run and score a pipeline themselves, in place of the ranking loop.

* ``SelfRunningTask``: the runner calls ``run_and_score``; the task defines ``custom_run`` and
  scores its whole set (``--limit-queries`` is refused, so no result records a limit that was
  not applied).
* ``SentenceSimilarityTask``: items are sentence pairs with gold similarity scores (STS); an
  embedding model is scored on them without ranking.
* ``JudgeMetaEvaluationTask``: a relevance judge's labels are scored against human labels, from
  a run (``custom_run``, which honours ``limit_queries``) or from a submitted label file
  (``evaluate_file``, which accepts ``run_set``: ``harness eval --run-set``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.errors import ConfigError
from ir_harness.task import Task

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ir_harness.data.sts import STSPair
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.task import Scores


class SelfRunningTask(Task):
    """A task that is not "rank documents per query": it runs and scores the pipeline itself."""

    def custom_run(
        self, subset: str, pipeline: Pipeline, data_dir: Path | None, ctx: RunContext
    ) -> Scores:
        """Run and score ``pipeline`` on the whole of ``subset``."""
        raise NotImplementedError

    def run_and_score(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
        limit_queries: int | None,
    ) -> Scores:
        """What the runner calls: ``custom_run`` on the whole set; a limit is refused."""
        if limit_queries:
            raise ConfigError(
                f"task {self.spec(subset).name!r} does not support --limit-queries (it scores "
                "its whole set); run it without the option"
            )
        return self.custom_run(subset, pipeline, data_dir, ctx)


class SentenceSimilarityTask(SelfRunningTask):
    """Sentence pairs with gold similarity (STS): an embedder's cosine is scored against them.

    ``sentence_pairs`` gives the pairs of a local copy, so other commands (``harness
    starbucks-grid``) score embeddings on the same pairs without a run."""

    def sentence_pairs(
        self, subset: str, data_dir: Path | None
    ) -> tuple[list[STSPair], int, str] | None:
        """(pairs, skipped unrated rows, source) of a local copy, or None when there is none."""
        raise NotImplementedError


class JudgeMetaEvaluationTask(SelfRunningTask):
    """A relevance judge scored against human labels: run it (``custom_run``, on the pairs of the
    first ``limit_queries`` queries when given) or score a label file it wrote
    (``evaluate_file``)."""

    def custom_run(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
        limit_queries: int | None = None,
    ) -> Scores:
        """Judge the pairs (of the first ``limit_queries`` queries, when given) and score them."""
        raise NotImplementedError

    def run_and_score(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
        limit_queries: int | None,
    ) -> Scores:
        """What the runner calls: ``custom_run`` with the limit passed on."""
        return self.custom_run(subset, pipeline, data_dir, ctx, limit_queries=limit_queries)

    def evaluate_file(
        self,
        subset: str,
        path: Path,
        data_dir: Path | None,
        run_set: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> Scores:
        """Score a submitted label file; ``run_set``: a folder of runs for the system-ranking
        metrics (``--run-set``); ``settings``: the task's settings as text."""
        raise NotImplementedError
