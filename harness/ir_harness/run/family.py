"""Running a whole benchmark family (``bright``, ``beir``, ``beir/cqadupstack``) and averaging it.

A task plugin opts in by overriding ``Task.family_members(subset)`` (the base returns none),
returning the subsets -- or full task names -- whose mean is the family score. Every member is
run and stored as usual; the aggregate is stored as its own result, named after the family, with
each member's main score (and qrels sha256) kept beside the mean.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ir_harness.data.spec import TaskSpec
from ir_harness.eval.family_mean import family_mean
from ir_harness.registry import split_task_name
from ir_harness.run.context import RunContext
from ir_harness.run.runner import ResultRecord, RunJob, job_config, run, store_result
from ir_harness.store.results import MEMBERS_FILE, members_artifact
from ir_harness.task import Scores, get_task

if TYPE_CHECKING:
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.store.results import Result


def members(task_name: str) -> list[str]:
    """Full task names averaged for ``task_name``; empty when it is a single task."""
    task, subset = get_task(task_name)
    names = task.family_members(subset)
    if not names:
        return []
    family, _ = split_task_name(task_name)
    return [n if n.startswith(f"{family}/") else f"{family}/{n}" for n in names]


def run_family(job: RunJob) -> tuple[list[Result], Result]:
    """Run every member (recursively), then store the macro average over members."""
    from ir_harness.run.pipeline import build_pipeline

    t0 = time.perf_counter()
    names = members(job.task)
    outcomes = [run_any(replace(job, task=n))[-1] for n in names]
    first = outcomes[0].record
    metric_ids = [m for m in first.metrics if all(m in o.metrics for o in outcomes)]
    means = {m: family_mean([o.metrics[m] for o in outcomes]) for m in metric_ids}
    per_query = {
        m: {f"{o.task}/{q}": v for o in outcomes for q, v in o.per_query.get(m, {}).items()}
        for m in metric_ids
    }
    family, _ = split_task_name(job.task)
    spec = TaskSpec(
        name=job.task,
        family=family,
        description=f"mean over {len(names)} tasks",
        metrics=tuple(metric_ids),
        metric_engine="custom",  # means of member metrics, already computed
        main_metric=first.main_metric,
        relevance_threshold=first.relevance_threshold,
        average_over=first.average_over,  # type: ignore[arg-type]
    )
    pipe: Pipeline = job.pipeline or build_pipeline(job.system, job.options)
    ctx = RunContext.from_config(job.config, job.task)
    member_scores = {o.task: o.main_score for o in outcomes}
    total = time.perf_counter() - t0
    config = job_config(job, job.task, members=names)
    agg = store_result(
        ResultRecord(
            job,
            spec,
            pipe,
            ctx,
            config,
            Scores(
                metrics=means,
                per_item=per_query,
                artifact=members_artifact(outcomes),
                artifact_name=MEMBERS_FILE,
                n_items=sum(o.n_queries for o in outcomes),
                source=f"mean of {len(names)} member results",
                extra={"members": member_scores, "aggregate": "macro mean over member tasks"},
            ),
            timings={"total_s": total},
            data={"members": {o.task: o.metadata.data.get("qrels_sha256", "") for o in outcomes}},
            members=tuple(outcomes),
        )
    )
    return outcomes, agg


def with_task_defaults(job: RunJob) -> RunJob:
    """Apply the task family's ``system_defaults`` ({system: {option: value}}) to the stages of
    the pipeline that the user left unset, e.g. BRIGHT's query-side BM25. They become ordinary
    options, so they show in the result's label and config like options the user gave."""
    from ir_harness.run.pipeline import parse_pipeline

    if job.pipeline is not None:
        return job  # an object built by the caller: its settings are its own
    defaults = get_task(job.task)[0].system_defaults
    names = parse_pipeline(job.system)
    options = dict(job.options)
    for name, values in defaults.items():
        if name not in names:
            continue
        for k, v in values.items():
            if k in options or f"{name}.{k}" in options:
                continue  # the user's choice wins
            options[k if len(names) == 1 else f"{name}.{k}"] = v
    return replace(job, options=options) if options != job.options else job


def run_any(job: RunJob) -> list[Result]:
    """One task, or a family: returns member outcomes followed by the aggregate (last)."""
    job = with_task_defaults(job)
    if members(job.task):
        outs, agg = run_family(job)
        return [*outs, agg]
    return [run(job)]
