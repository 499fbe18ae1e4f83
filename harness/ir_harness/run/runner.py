"""The scoring runner: task + system -> run -> metrics -> stored result, resumable.

Queries go through the whole pipeline in batches; each finished batch is committed atomically to
a checkpoint keyed by the run's config hash (``ir_harness.run.checkpoint``). A run that crashes and is
started again reads the checkpoint and only does the queries that are missing. Expensive artefacts
(embeddings, Lucene indexes) are cached by content, so a repeated run is nearly free.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ir_harness.corpus.policy import using as store_policy
from ir_harness.errors import ConfigError
from ir_harness.run.context import RunContext
from ir_harness.run.job import RunJob, run_batch
from ir_harness.run.pipeline import Pipeline, build_pipeline
from ir_harness.run.ranking import RankingRun
from ir_harness.run.record import (
    ResultRecord,
    identity_config,
    identity_of,
    job_config,
    scoped_task_name,
    store_result,
)
from ir_harness.self_running import SelfRunningTask
from ir_harness.store.results import Result, make_scope, result_id, result_lock
from ir_harness.task import Task, get_task, resolve_data_dir

if TYPE_CHECKING:
    from ir_harness.data.model import TaskData
    from ir_harness.data.spec import TaskSpec

__all__ = [
    "ResultRecord",
    "RunJob",
    "identity_config",
    "job_config",
    "load_task",
    "run",
    "run_batch",
    "scoped_task_name",
    "store_result",
]


def load_task(name: str, data_dir: str | Path | None) -> tuple[TaskSpec, TaskData]:
    """The spec and data of the task ``name`` (``family/subset``), local folder first."""
    task, subset = get_task(name)
    spec = task.spec(subset)
    return spec, task.load(subset, resolve_data_dir(data_dir))


def run(job: RunJob) -> Result:
    """Run under the lock of the result identity, so two runs never write the same result;
    the result is saved in ``job.config.results``, or only returned when that is None."""
    t0 = time.perf_counter()
    task, subset = get_task(job.task)
    pipe = job.pipeline or build_pipeline(job.system, job.options)
    ctx = RunContext.from_config(job.config, job.task)
    custom = isinstance(task, SelfRunningTask)
    if job.config.qrels_from and not custom and not Path(job.config.qrels_from).is_file():
        raise ConfigError(f"--qrels-from {job.config.qrels_from}: no such file")
    qrels_from = None if custom else job.config.qrels_from
    lock: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if job.config.results is not None:  # a run that keeps nothing on disk writes no lock
        lock = result_lock(
            result_id(
                scoped_task_name(task.spec(subset).name, qrels_from),
                pipe.label,
                make_scope(job.config.limit_queries, job.config.seed, qrels_from),
            ).folder(job.config.results)
        )
    with lock, store_policy(job.config.corpus_store):
        return _run_locked(job, task, subset, pipe, ctx, t0)


def _run_locked(
    job: RunJob,
    task: Task,
    subset: str,
    pipe: Pipeline,
    ctx: RunContext,
    t0: float,
) -> Result:
    if isinstance(task, SelfRunningTask):
        spec: TaskSpec = task.spec(subset)
        if job.config.qrels_from:
            raise ConfigError(
                f"task {spec.name!r} scores against its own labels; --qrels-from does not apply"
            )
        res = task.run_and_score(
            subset, pipe, resolve_data_dir(job.config.data_dir), ctx, job.config.limit_queries
        )
        total = time.perf_counter() - t0
        config = job_config(job, spec.name)
        return store_result(
            ResultRecord(
                job,
                spec,
                pipe,
                ctx,
                config,
                res,
                timings={"total_s": total, "per_query_s": total / max(1, res.n_items)},
                data=identity_of(spec, job, ctx, None, res.qrels_sha256),
            )
        )
    return _run_ranking(job, task, subset, pipe, ctx, t0)


def _run_ranking(
    job: RunJob, task: Task, subset: str, pipe: Pipeline, ctx: RunContext, t0: float
) -> Result:
    from ir_harness.plan.memory import AnonPeak

    mem = AnonPeak().start()
    try:
        return RankingRun(job, task, subset, pipe, ctx, t0, mem).go()
    finally:
        mem.stop()
