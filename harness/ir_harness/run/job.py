"""What one run is asked to do (``RunJob``: a system on a task under a ``RunConfig``), and one
batch of it.

Apart from the runner so that executors that run batches elsewhere (``ir_harness.executors.ray_executor``) use
them without importing the runner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ir_harness.run.config import RunConfig

if TYPE_CHECKING:
    from ir_harness.data.model import Run, TaskData
    from ir_harness.data.spec import TaskSpec
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import Pipeline


@dataclass(frozen=True)
class RunJob:
    """One system on one task: ``system`` is the name or pipeline string (with ``options``, the
    CLI's ``-o``), or the label of ``pipeline``, a pipeline built by the caller (the Python
    API's in-memory objects); ``config`` is how it runs."""

    system: str
    task: str
    config: RunConfig = field(default_factory=RunConfig)
    options: dict[str, Any] = field(default_factory=dict)
    pipeline: Pipeline | None = None

    @classmethod
    def of(
        cls,
        system: str,
        task: str,
        *,
        options: dict[str, Any] | None = None,
        pipeline: Pipeline | None = None,
        **config: Any,
    ) -> RunJob:
        """A job whose config has the given ``RunConfig`` fields (for scripts and tests)."""
        return cls(
            system, task, RunConfig().with_overrides(**config), dict(options or {}), pipeline
        )

    def with_task(self, task: str) -> RunJob:
        """The same system and config on another task (one job per task of a multi-task call)."""
        return replace(self, task=task)


def run_batch(
    pipe: Pipeline, spec: TaskSpec, data: TaskData, qids: list[str], ctx: RunContext
) -> Run:
    """All stages of the pipeline for one batch of the task's queries (``Pipeline.run``)."""
    queries = {q: data.queries[q] for q in qids}
    return pipe.run(queries, data.corpus, data.candidates, spec, ctx, data.excluded_ids)
