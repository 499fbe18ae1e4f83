"""A stored result's records, built in one place: what ran, on what, and what it scored.

Every kind of run (ranking, a task that runs itself, a grid cell, a family aggregate) ends in
:func:`store_result`, so the metrics and metadata of every result are made the same way.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.llm.session import check_llm_faults
from ir_harness.protocols import stat_tags
from ir_harness.redact import redact_text
from ir_harness.store.results import (
    MetricsRecord,
    Result,
    RunMetadata,
    config_hash,
    make_scope,
    write,
)
from ir_harness.store.training_record import training_overlap
from ir_harness.task import resolve_data_dir

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels
    from ir_harness.data.spec import TaskSpec
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext
    from ir_harness.run.job import RunJob
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.task import Scores


@dataclass
class ResultRecord:
    """Everything one stored result is built from: what ran, on what, and what it scored.

    ``scores`` is what the task kind scored (the same type for every kind: a ranking's run file
    and metrics, a self-running task's, a grid's, a family's means); ``scope`` defaults to the
    config's limit and seed over the scored items; ``data`` is the data identity
    (``ir_harness.data.identity.data_identity``) stored in the metadata.
    """

    job: RunJob
    spec: TaskSpec
    pipe: Pipeline
    ctx: RunContext
    config: dict[str, Any]
    scores: Scores
    timings: dict[str, float]
    resumed: int = 0
    scope: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    memory: dict[str, int] | None = None
    members: tuple[Result, ...] = ()


def identity_config(
    task: str, system: str, options: dict[str, Any], limit_queries: int | None, **more: Any
) -> dict[str, Any]:
    """The config of a result as the user chose it (task, system, options, query limit), plus
    ``more`` that follows from the data; stored in the metadata and hashed (checkpoint key, the
    grid's skip check). Every stored result's config starts here."""
    return {
        "task": task,
        "system": system,
        "options": options,
        "limit_queries": limit_queries,
        **more,
    }


def job_config(job: RunJob, task: str, **more: Any) -> dict[str, Any]:
    """``identity_config`` of ``job`` on ``task`` (the scoped task name)."""
    return identity_config(task, job.system, job.options, job.config.limit_queries, **more)


def store_result(record: ResultRecord) -> Result:
    """The result built from ``record`` (:func:`build_result`), written atomically when the run
    config names a results folder (the runner holds the identity's lock), else kept in memory."""
    result = build_result(record)
    results = record.job.config.results
    return result if results is None else write(Path(results), result)


def build_result(record: ResultRecord) -> Result:
    """The metrics and metadata records of one result, with its run or label file.

    A result that evaluated nothing is refused: it would only replace a real one with an empty
    number; so is one with too many unusable LLM answers.
    """
    r = record
    job, spec, ctx, sc = r.job, r.spec, r.ctx, r.scores
    if sc.n_items <= 0:
        raise ConfigError(
            f"{spec.name}: the run evaluated zero queries, so nothing was stored "
            f"(data: {sc.source or 'unknown'}); check the queries and qrels files"
        )
    check_llm_faults(ctx.stats, ctx.llm_policy)  # too many unusable LLM answers: refuse to store
    scope = r.scope or make_scope(job.config.limit_queries, job.config.seed, None, None, sc.n_items)
    stages = r.pipe.metas()
    metrics = _metrics_record(r, scope, stages)
    meta = _metadata(r, scope, stages).model_copy(update={"artifact": sc.artifact_name})
    return Result(metrics, meta, None, artifact=sc.artifact, members=r.members)


def _metrics_record(
    r: ResultRecord, scope: dict[str, Any], stages: list[SystemMeta]
) -> MetricsRecord:
    """metrics.json: the scores, their scope and any training overlap with the scored queries."""
    spec, sc = r.spec, r.scores
    evaluated = set().union(*(set(v) for v in sc.per_item.values())) if sc.per_item else set()
    return MetricsRecord(
        task=spec.name,
        system=r.pipe.label,
        main_metric=spec.main_metric,
        main_score=sc.metrics[spec.main_metric],
        metrics=sc.metrics,
        per_query=sc.per_item,
        n_queries=sc.n_items,
        relevance_threshold=spec.relevance_threshold,
        average_over=spec.average_over,
        extra=sc.extra or {},
        scope=scope,
        trained_on_evaluated=training_overlap(stages, spec.name, evaluated),
    )


def _metadata(r: ResultRecord, scope: dict[str, Any], stages: list[SystemMeta]) -> RunMetadata:
    """metadata.json: what produced the scores (command, config, stages, environment, data)."""
    from ir_harness.store.envinfo import git_sha, hardware, package_versions

    job, ctx, pipe = r.job, r.ctx, r.pipe
    return RunMetadata(
        command=_command(job),
        call=job.config.call,
        config=r.config,
        config_hash=config_hash(r.config),
        stages=stages,
        data_source=r.scores.source,
        git_sha=git_sha(),
        packages=package_versions(),
        hardware=hardware(ctx.device),
        seed=job.config.seed,
        timings=r.timings,
        stats={**ctx.stats, "resumed_queries": r.resumed},
        stat_tags=stat_tags(pipe.stages, ctx.stats),
        data=r.data,
        # the LLM fault settings the run used, when it asked an LLM
        llm_policy=ctx.llm_policy.record() if "llm_answers" in ctx.stats else None,
        plan=r.plan,
        memory=r.memory,
        batching={"batch_size": job.config.batch_size, "query_batch": job.config.query_batch},
    )


def _command(job: RunJob) -> str:
    """The command line that started the run: the CLI's, else this process's when no API call
    is recorded (``RunConfig.call``), else none (the call is recorded instead)."""
    if job.config.command:
        return redact_text(job.config.command)
    if job.config.call is not None or not sys.argv:
        return ""
    return redact_text(shlex.join(["harness", *sys.argv[1:]]))


def identity_of(
    spec: TaskSpec,
    job: RunJob,
    ctx: RunContext,
    qrels: Qrels | None,
    qrels_hash: str = "",
) -> dict[str, Any]:
    """Sources (revision or local sha256) and the sha256 of the qrels actually scored against."""
    from ir_harness.data.identity import data_identity

    out = data_identity(spec, resolve_data_dir(job.config.data_dir), qrels, ctx.cache_dir)
    if qrels_hash:
        out["qrels_sha256"] = qrels_hash
    return out


def scoped_task_name(name: str, qrels_from: Path | str | None) -> str:
    """Judge-made qrels make a different evaluation: the task name says which file."""
    return f"{name}[qrels={Path(qrels_from).name}]" if qrels_from else name
