"""What one run is asked to do (``RunOptions``), the context it runs in, and one batch of it.

Apart from the runner so that executors that run batches elsewhere (``harness.ray_exec``) use
them without importing the runner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError
from harness.runconfig import LLMPolicy
from harness.runtime import RunContext

if TYPE_CHECKING:
    from harness.data import Run, TaskData
    from harness.pipeline import Pipeline
    from harness.spec import TaskSpec


@dataclass
class RunOptions:
    system: str
    task: str
    data_dir: str | Path | None = None
    results: Path = Path("results")
    device: str = "cpu"
    batch_size: int = 64
    limit_queries: int | None = None
    system_options: dict[str, Any] = field(default_factory=dict)
    query_batch: int = 256
    progress: bool = True
    seed: int = 0
    cache_dir: Path | None = None
    # Score against judge-made qrels (restricted to the human-judged pairs) instead of the task's.
    qrels_from: Path | None = None
    # "local" or "ray" (see harness.ray_exec); not part of the config: results are identical.
    executor: str = "local"
    ray_address: str | None = None
    workers: int = 2
    # LLM fault settings, handed to the backend and the fault check through the RunContext.
    llm_policy: LLMPolicy = field(default_factory=LLMPolicy)
    # A pipeline built by the caller (the Python API's in-memory objects); ``system`` is its label.
    pipeline: Pipeline | None = None
    # What the metadata records as the command (default: this process's ``harness`` argv).
    command: str | None = None


def run_batch(
    pipe: Pipeline, spec: TaskSpec, data: TaskData, qids: list[str], ctx: RunContext
) -> Run:
    """All stages of the pipeline for one batch of the task's queries (``Pipeline.run``)."""
    queries = {q: data.queries[q] for q in qids}
    return pipe.run(queries, data.corpus, data.candidates, spec, ctx, data.excluded_ids)


def make_context(opts: RunOptions) -> RunContext:
    extra: dict[str, Any] = {"cache_dir": opts.cache_dir} if opts.cache_dir else {}
    if opts.executor not in ("local", "ray"):
        raise ConfigError(f"--executor {opts.executor!r}: expected local or ray")
    return RunContext(
        device=opts.device,
        batch_size=opts.batch_size,
        progress=opts.progress,
        seed=opts.seed,
        task=opts.task,
        data_dir=opts.data_dir,
        executor=opts.executor,
        ray_address=opts.ray_address,
        workers=opts.workers,
        llm_policy=opts.llm_policy,
        **extra,
    )
