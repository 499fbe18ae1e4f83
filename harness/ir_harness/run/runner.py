"""The scoring runner: task + system -> run -> metrics -> stored result, resumable.

Queries go through the whole pipeline in batches; each finished batch is committed atomically to
a checkpoint keyed by the run's config hash (``ir_harness.run.checkpoint``). A run that crashes and is
started again reads the checkpoint and only does the queries that are missing. Expensive artefacts
(embeddings, Lucene indexes) are cached by content, so a repeated run is nearly free.
"""

from __future__ import annotations

import logging
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.corpus.policy import using as store_policy
from ir_harness.data.formats import format_trec_run
from ir_harness.data.identity import queries_sha256
from ir_harness.data.model import TaskData
from ir_harness.errors import ConfigError, HarnessError
from ir_harness.eval.coverage import empty_rankings, unknown_documents
from ir_harness.eval.holes import with_judged_at_10
from ir_harness.eval.measures import run_measures
from ir_harness.eval.metrics import prepare_run
from ir_harness.eval.score import score_run
from ir_harness.llm.session import check_llm_faults
from ir_harness.protocols import ExclusionAware, Retriever, stat_tags
from ir_harness.redact import redact_text
from ir_harness.run.checkpoint import Checkpoint
from ir_harness.run.context import RunContext
from ir_harness.run.job import RunJob, run_batch
from ir_harness.run.pipeline import Pipeline, build_pipeline
from ir_harness.run.progress import phase_bar
from ir_harness.store.results import (
    MetricsRecord,
    RunMetadata,
    StoredResult,
    config_hash,
    make_scope,
    result_id,
    result_lock,
    slug,
    write_result,
)
from ir_harness.store.training_record import training_overlap
from ir_harness.task import Task, get_task, limit_queries, resolve_data_dir

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels, TaskData
    from ir_harness.data.spec import TaskSpec


def load_task(name: str, data_dir: str | Path | None) -> tuple[TaskSpec, TaskData]:
    task, subset = get_task(name)
    spec = task.spec(subset)
    return spec, task.load(subset, resolve_data_dir(data_dir))


@dataclass
class ResultRecord:
    """Everything one stored result is built from: what ran, on what, and what it scored.

    ``scope`` defaults to the config's limit and seed over ``n`` evaluated items; ``data`` is
    the data identity (``ir_harness.data.identity.data_identity``) stored in the metadata.
    """

    job: RunJob
    spec: TaskSpec
    pipe: Pipeline
    ctx: RunContext
    config: dict[str, Any]
    artifact: str
    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    n: int
    source: str
    timings: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)
    artifact_name: str = "run.trec"
    resumed: int = 0
    scope: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    memory: dict[str, int] | None = None


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


def store_result(record: ResultRecord) -> StoredResult:
    """Build the metrics and metadata records and write the result atomically.

    A result that evaluated nothing is refused: it would only replace a real one with an empty
    number.
    """
    from ir_harness.store.envinfo import git_sha, hardware, package_versions

    r = record
    job, spec, pipe, ctx = r.job, r.spec, r.pipe, r.ctx
    if r.n <= 0:
        raise ConfigError(
            f"{spec.name}: the run evaluated zero queries, so nothing was stored "
            f"(data: {r.source or 'unknown'}); check the queries and qrels files"
        )
    check_llm_faults(ctx.stats, ctx.llm_policy)  # too many unusable LLM answers: refuse to store
    label = pipe.label
    scope = r.scope or make_scope(job.config.limit_queries, job.config.seed, None, None, r.n)
    stages = pipe.metas()
    evaluated = set().union(*(set(v) for v in r.per_query.values())) if r.per_query else set()
    metrics = MetricsRecord(
        task=spec.name,
        system=label,
        main_metric=spec.main_metric,
        main_score=r.means[spec.main_metric],
        metrics=r.means,
        per_query=r.per_query,
        n_queries=r.n,
        relevance_threshold=spec.relevance_threshold,
        average_over=spec.average_over,
        extra=r.extra or {},
        scope=scope,
        trained_on_evaluated=training_overlap(stages, spec.name, evaluated),
    )
    meta = RunMetadata(
        task=spec.name,
        system=label,
        command=redact_text(
            job.config.command or (shlex.join(["harness", *sys.argv[1:]]) if sys.argv else "")
        ),
        config=r.config,
        config_hash=config_hash(r.config),
        stages=stages,
        data_source=r.source,
        git_sha=git_sha(),
        packages=package_versions(),
        hardware=hardware(ctx.device),
        seed=job.config.seed,
        timings=r.timings,
        stats={**ctx.stats, "resumed_queries": r.resumed},
        stat_tags=stat_tags(pipe.stages, ctx.stats),
        scope=scope,
        data=r.data,
        # the LLM fault settings the run used, when it asked an LLM
        llm_policy=ctx.llm_policy.record() if "llm_answers" in ctx.stats else None,
        plan=r.plan,
        memory=r.memory,
        batching={"batch_size": job.config.batch_size, "query_batch": job.config.query_batch},
    )
    path = write_result(
        job.config.results_dir(), r.artifact, metrics, meta, artifact_name=r.artifact_name
    )
    return StoredResult(metrics, meta, path)


def _identity(
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


def _custom_limit(task: Task, name: str, limit: int | None) -> dict[str, int]:
    """``--limit-queries`` for a custom-run task: passed on if it declares ``limits_queries``,
    refused otherwise, so no result records a limit not applied."""
    if not limit:
        return {}
    if not task.limits_queries:
        raise ConfigError(
            f"task {name!r} does not support --limit-queries (it scores its whole set); "
            "run it without the option"
        )
    return {"limit_queries": limit}


def run(job: RunJob) -> StoredResult:
    """Run under the lock of the result identity, so two runs never write the same result."""
    t0 = time.perf_counter()
    results = job.config.results_dir()
    task, subset = get_task(job.task)
    pipe = job.pipeline or build_pipeline(job.system, job.options)
    ctx = RunContext.from_config(job.config, job.task)
    custom = task.runs_itself
    if job.config.qrels_from and not custom and not Path(job.config.qrels_from).is_file():
        raise ConfigError(f"--qrels-from {job.config.qrels_from}: no such file")
    qrels_from = None if custom else job.config.qrels_from
    target = result_id(
        scoped_task_name(task.spec(subset).name, qrels_from),
        pipe.label,
        make_scope(job.config.limit_queries, job.config.seed, qrels_from),
    ).folder(results)
    with result_lock(target), store_policy(job.config.corpus_store):
        return _run_locked(job, task, subset, pipe, ctx, t0, custom)


def _run_locked(
    job: RunJob,
    task: Task,
    subset: str,
    pipe: Pipeline,
    ctx: RunContext,
    t0: float,
    custom: bool,
) -> StoredResult:
    if custom:
        spec: TaskSpec = task.spec(subset)
        if job.config.qrels_from:
            raise ConfigError(
                f"task {spec.name!r} scores against its own labels; --qrels-from does not apply"
            )
        kwargs = _custom_limit(task, spec.name, job.config.limit_queries)
        res = task.custom_run(subset, pipe, resolve_data_dir(job.config.data_dir), ctx, **kwargs)
        total = time.perf_counter() - t0
        config = job_config(job, spec.name)
        return store_result(
            ResultRecord(
                job,
                spec,
                pipe,
                ctx,
                config,
                artifact=res.artifact,
                means=res.metrics,
                per_query=res.per_item,
                n=res.n_items,
                source=res.source,
                timings={"total_s": total, "per_query_s": total / max(1, res.n_items)},
                extra=res.extra,
                artifact_name=res.artifact_name,
                data=_identity(spec, job, ctx, None, res.qrels_sha256),
            )
        )
    return _run_ranking(job, task, subset, pipe, ctx, t0)


def _preflight(
    job: RunJob, pipe: Pipeline, spec: TaskSpec, data: TaskData, ctx: RunContext, load_s: float
) -> dict[str, Any] | None:
    """Estimate, print and check the run before it starts (``RunConfig.plan``)."""
    if not job.config.plan:
        return None
    from ir_harness.plan.estimate import make_plan
    from ir_harness.plan.fit import check_fits
    from ir_harness.plan.table import print_plan

    try:
        plan = make_plan(pipe, spec, data, ctx, load_s)
    except Exception as e:  # a probe must never break the run: the run's own checks report it
        log.warning("no plan: a probe failed (%s: %s)", type(e).__name__, e)
        return {"error": f"{type(e).__name__}: {e}"}
    print_plan(plan, stderr=True)
    check_fits(plan, job.config.force, job.config.memory_available)
    return plan.record()


def _run_ranking(
    job: RunJob, task: Task, subset: str, pipe: Pipeline, ctx: RunContext, t0: float
) -> StoredResult:
    from ir_harness.plan.memory import AnonPeak

    mem = AnonPeak().start()
    try:
        return _run_ranking_measured(job, task, subset, pipe, ctx, t0, mem)
    finally:
        mem.stop()


def _run_ranking_measured(
    job: RunJob, task: Task, subset: str, pipe: Pipeline, ctx: RunContext, t0: float, mem: Any
) -> StoredResult:
    from ir_harness.plan.memory import peak_rss_bytes

    timings: dict[str, float] = {}
    memory: dict[str, int] = {}
    spec, data = task.spec(subset), task.load(subset, resolve_data_dir(job.config.data_dir))
    task_queries = sum(1 for q in data.queries if q in data.qrels)
    data = limit_queries(data, job.config.limit_queries)
    if job.config.qrels_from:
        from ir_harness.eval.coverage import read_judge_qrels_checked

        data.qrels, counts = read_judge_qrels_checked(job.config.qrels_from, data.qrels)
        ctx.stats.update(counts)  # how much of the pool the judge labelled, in the metadata
        spec = spec.model_copy(update={"name": scoped_task_name(spec.name, job.config.qrels_from)})
    if not data.queries or not any(q in data.qrels for q in data.queries):
        raise ConfigError(
            f"{spec.name}: no judged queries to evaluate ({len(data.queries)} queries, "
            f"{len(data.qrels)} with qrels; data: {data.source}); nothing was run or stored"
        )
    timings["load_s"] = time.perf_counter() - t0
    memory["load_anon"] = mem.mark()
    plan = _preflight(job, pipe, spec, data, ctx, timings["load_s"])
    mem.mark()
    config = job_config(
        job,
        spec.name,
        corpus_hash=data.corpus.content_hash,
        n_queries=len(data.queries),
        qrels_from=str(job.config.qrels_from) if job.config.qrels_from else None,
        run_depth=spec.run_depth,
        rerank_depth=spec.rerank_depth,
        seed=job.config.seed,
    )
    chash = config_hash(config)
    results = job.config.results_dir()
    ckpt = Checkpoint(results / ".partial" / slug(spec.name) / f"{slug(pipe.label)}-{chash}")
    done = ckpt.load(ctx.stats)
    if done:
        log.info(
            "resuming: %d of %d queries already done (%s)",
            len(done),
            len(data.queries),
            ckpt.folder,
        )

    t = time.perf_counter()
    if (
        data.candidates is None
        and isinstance(pipe.stages[0], Retriever)
        and len(done) < len(data.queries)
    ):
        pipe.stages[0].index(data.corpus, ctx)
    if isinstance(pipe.stages[0], ExclusionAware):  # must not even show excluded ids
        pipe.stages[0].set_excluded(data.excluded_ids)
    timings["index_s"] = time.perf_counter() - t
    memory["index_anon"] = mem.mark()

    t = time.perf_counter()
    todo = [q for q in sorted(data.queries) if q not in done]
    batches = [
        todo[b : b + job.config.query_batch] for b in range(0, len(todo), job.config.query_batch)
    ]

    def local(qids: list[str]) -> Any:
        return run_batch(pipe, spec, data, qids, ctx)

    if data.candidates is not None or len(pipe.stages) > 1:  # rerankers, LLM stages: shardable
        runs = ctx.executor.query_batches(job, batches, ctx, local)
    else:  # one retriever: its executor already shards encoding and search
        runs = (local(qids) for qids in batches)
    with phase_bar(ctx, f"search ({pipe.label})", len(todo), "query") as bar:
        for batch_run in runs:
            batch_run = prepare_run(
                batch_run,
                depth=spec.run_depth,
                excluded_ids=data.excluded_ids,
                ignore_identical_ids=spec.ignore_identical_ids,
            )
            ckpt.commit(batch_run, ctx.stats)
            bar.update(len(batch_run))
    timings["search_s"] = time.perf_counter() - t
    memory["search_anon"] = mem.mark()

    t = time.perf_counter()
    # Read the checkpoint back so a resumed run and an uninterrupted one score identical bytes.
    done = ckpt.load()
    final = {q: done.get(q, {}) for q in sorted(data.queries)}
    if n_empty := empty_rankings(final, pipe.label):
        ctx.stats["queries_without_results"] = n_empty
    if n_strays := unknown_documents(final, data.corpus, pipe.label):
        ctx.stats["documents_not_in_corpus"] = n_strays
    # Judged@10 beside the task's metrics: a low one says a drop may be a hole in the judgments.
    ev = score_run(final, data.qrels, with_judged_at_10(list(spec.metrics), data.qrels), spec=spec, data=data,
                   depth="task")  # fmt: skip
    # The measures the task declares beside its ranking metrics (AUC by pool by default).
    m_means, m_pq, extra = run_measures(
        spec.run_measures, final, data.qrels, min_relevance=spec.relevance_threshold
    )
    means = {**ev.means, **m_means}
    per_query = {**ev.per_query, **m_pq}
    timings["evaluate_s"] = time.perf_counter() - t
    memory["evaluate_anon"] = mem.mark()
    memory["peak_anon"] = max(memory.values())
    memory["peak_rss"] = peak_rss_bytes()
    timings["total_s"] = time.perf_counter() - t0
    timings["per_query_s"] = timings["search_s"] / max(1, len(todo))
    try:
        check_llm_faults(ctx.stats, ctx.llm_policy)
    except HarnessError:
        ckpt.clear()  # a re-run asks the failed calls again (they were never cached)
        raise
    outcome = store_result(
        ResultRecord(
            job,
            spec,
            pipe,
            ctx,
            config,
            artifact=format_trec_run(final, slug(pipe.label)),
            means=means,
            per_query=per_query,
            n=len(ev.query_ids),
            source=data.source,
            timings=timings,
            extra=extra,
            resumed=len(data.queries) - len(todo),
            scope=make_scope(
                job.config.limit_queries,
                job.config.seed,
                job.config.qrels_from,
                task_queries,
                len(ev.query_ids),
            ),
            data={
                **_identity(spec, job, ctx, data.qrels),
                "queries_sha256": queries_sha256(data.queries),
            },
            plan=plan,
            memory=memory,
        )
    )
    ckpt.clear()
    return outcome
