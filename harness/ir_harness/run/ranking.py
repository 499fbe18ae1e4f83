"""One ranking run, phase by phase: load, index, search in checkpointed batches, score, store.

Each phase is a method of :class:`RankingRun`, which carries what the phases hand on (the data,
the checkpoint, timings and memory marks), so the flow reads as the list in :meth:`RankingRun.go`
and a resumed run and an uninterrupted one take the same path from the checkpoint onwards.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_harness.data.formats import format_trec_run
from ir_harness.data.identity import queries_sha256
from ir_harness.errors import ConfigError
from ir_harness.eval.coverage import empty_rankings, unknown_documents
from ir_harness.eval.holes import with_judged_at_10
from ir_harness.eval.measures import run_measures
from ir_harness.eval.metrics import prepare_run
from ir_harness.eval.score import score_run
from ir_harness.llm.base import LLMError
from ir_harness.protocols import ExclusionAware, Retriever
from ir_harness.run.checkpoint import Checkpoint, MemoryCheckpoint
from ir_harness.run.job import run_batch
from ir_harness.run.progress import phase_bar
from ir_harness.run.record import (
    ResultRecord,
    identity_of,
    job_config,
    scoped_task_name,
    store_result,
)
from ir_harness.store.results import config_hash, make_scope, slug
from ir_harness.task import Scores, limit_queries, resolve_data_dir

if TYPE_CHECKING:
    from ir_harness.data.model import Run, TaskData
    from ir_harness.data.spec import TaskSpec
    from ir_harness.run.context import RunContext
    from ir_harness.run.job import RunJob
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.store.results import Result
    from ir_harness.task import Task

log = logging.getLogger(__name__)


@dataclass
class RankingRun:
    """A ranking task run by ``pipe``; ``mem`` marks the process's anonymous memory per phase."""

    job: RunJob
    task: Task
    subset: str
    pipe: Pipeline
    ctx: RunContext
    t0: float
    mem: Any
    timings: dict[str, float] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)

    def go(self) -> Result:
        """The phases in order; the checkpoint is cleared only once the result is stored (or
        refused for unusable LLM answers), so an interrupted run resumes where it stopped."""
        spec, data, task_queries = self.load()
        plan = self.preflight(spec, data)
        config = self.config(spec, data)
        ckpt = self.checkpoint(spec, config)
        done = self.resume(data, ckpt)
        self.index(data, done)
        todo = [q for q in sorted(data.queries) if q not in done]
        self.search(spec, data, todo, ckpt)
        scored = self.evaluate(spec, data, ckpt)
        self.finish_timings(len(todo))
        try:
            outcome = self.store(spec, data, config, scored, len(todo), task_queries, plan)
        except LLMError:
            ckpt.clear()  # too many unusable answers: a re-run asks them again (never cached)
            raise
        ckpt.clear()
        return outcome

    def load(self) -> tuple[TaskSpec, TaskData, int]:
        """The task's spec and data, limited and (with ``--qrels-from``) re-judged; the number
        of judged queries before the limit, for the result's scope."""
        job = self.job
        spec = self.task.spec(self.subset)
        data = self.task.load(self.subset, resolve_data_dir(job.config.data_dir))
        task_queries = sum(1 for q in data.queries if q in data.qrels)
        data = limit_queries(data, job.config.limit_queries)
        if job.config.qrels_from:
            from ir_harness.eval.coverage import read_judge_qrels_checked

            data.qrels, counts = read_judge_qrels_checked(job.config.qrels_from, data.qrels)
            self.ctx.stats.update(counts)  # how much of the pool the judge labelled
            name = scoped_task_name(spec.name, job.config.qrels_from)
            spec = spec.model_copy(update={"name": name})
        if not data.queries or not any(q in data.qrels for q in data.queries):
            raise ConfigError(
                f"{spec.name}: no judged queries to evaluate ({len(data.queries)} queries, "
                f"{len(data.qrels)} with qrels; data: {data.source}); nothing was run or stored"
            )
        self.timings["load_s"] = time.perf_counter() - self.t0
        self.memory["load_anon"] = self.mem.mark()
        return spec, data, task_queries

    def preflight(self, spec: TaskSpec, data: TaskData) -> dict[str, Any] | None:
        """Estimate, print and check the run before it starts (``RunConfig.plan``)."""
        plan = None
        if self.job.config.plan:
            plan = self._plan(spec, data)
        self.mem.mark()
        return plan

    def _plan(self, spec: TaskSpec, data: TaskData) -> dict[str, Any]:
        from ir_harness.plan.estimate import make_plan
        from ir_harness.plan.fit import check_fits
        from ir_harness.plan.table import print_plan

        try:
            plan = make_plan(self.pipe, spec, data, self.ctx, self.timings["load_s"])
        except Exception as e:  # a probe must never break the run: the run's own checks report it
            log.warning("no plan: a probe failed (%s: %s)", type(e).__name__, e)
            return {"error": f"{type(e).__name__}: {e}"}
        print_plan(plan, stderr=True)
        check_fits(plan, self.job.config.force, self.job.config.memory_available)
        return plan.record()

    def config(self, spec: TaskSpec, data: TaskData) -> dict[str, Any]:
        """The result's config (stored, and hashed into the checkpoint key)."""
        job = self.job
        return job_config(
            job,
            spec.name,
            corpus_hash=data.corpus.content_hash,
            n_queries=len(data.queries),
            qrels_from=str(job.config.qrels_from) if job.config.qrels_from else None,
            run_depth=spec.run_depth,
            rerank_depth=spec.rerank_depth,
            seed=job.config.seed,
        )

    def checkpoint(self, spec: TaskSpec, config: dict[str, Any]) -> Checkpoint | MemoryCheckpoint:
        """The run's checkpoint, keyed by the config's hash (in memory for a run that stores
        nothing)."""
        if self.job.config.results is None:
            return MemoryCheckpoint()
        folder = self.job.config.results_dir() / ".partial" / slug(spec.name)
        return Checkpoint(folder / f"{slug(self.pipe.label)}-{config_hash(config)}")

    def resume(self, data: TaskData, ckpt: Checkpoint | MemoryCheckpoint) -> Run:
        """The queries a previous attempt already committed (their stats merged back)."""
        done = ckpt.load(self.ctx.stats)
        if done:
            log.info(
                "resuming: %d of %d queries already done (%s)",
                len(done),
                len(data.queries),
                ckpt.folder,
            )
        return done

    def index(self, data: TaskData, done: Run) -> None:
        """Index the corpus unless candidates are given or every query is already done."""
        t = time.perf_counter()
        first = self.pipe.stages[0]
        if (
            data.candidates is None
            and isinstance(first, Retriever)
            and len(done) < len(data.queries)
        ):
            first.index(data.corpus, self.ctx)
        if isinstance(first, ExclusionAware):  # must not even show excluded ids
            first.set_excluded(data.excluded_ids)
        self.timings["index_s"] = time.perf_counter() - t
        self.memory["index_anon"] = self.mem.mark()

    def search(
        self, spec: TaskSpec, data: TaskData, todo: list[str], ckpt: Checkpoint | MemoryCheckpoint
    ) -> None:
        """Run the queries not yet done in batches, committing each batch to the checkpoint."""
        job, ctx, pipe = self.job, self.ctx, self.pipe
        t = time.perf_counter()
        step = job.config.query_batch
        batches = [todo[b : b + step] for b in range(0, len(todo), step)]

        def local(qids: list[str]) -> Any:
            return run_batch(pipe, spec, data, qids, ctx)

        if data.candidates is not None or len(pipe.stages) > 1:  # rerankers, LLM stages
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
        self.timings["search_s"] = time.perf_counter() - t
        self.memory["search_anon"] = self.mem.mark()

    def evaluate(
        self, spec: TaskSpec, data: TaskData, ckpt: Checkpoint | MemoryCheckpoint
    ) -> Scores:
        """Score the run read back from the checkpoint (so a resumed run and an uninterrupted
        one score identical bytes), with Judged@10 and the task's own run measures."""
        t = time.perf_counter()
        done = ckpt.load()
        final = {q: done.get(q, {}) for q in sorted(data.queries)}
        if n_empty := empty_rankings(final, self.pipe.label):
            self.ctx.stats["queries_without_results"] = n_empty
        if n_strays := unknown_documents(final, data.corpus, self.pipe.label):
            self.ctx.stats["documents_not_in_corpus"] = n_strays
        metrics = with_judged_at_10(list(spec.metrics), data.qrels)
        ev = score_run(final, data.qrels, metrics, spec=spec, data=data, depth="task")
        m_means, m_pq, extra = run_measures(
            spec.run_measures, final, data.qrels, min_relevance=spec.relevance_threshold
        )
        self.timings["evaluate_s"] = time.perf_counter() - t
        self.memory["evaluate_anon"] = self.mem.mark()
        return Scores(
            metrics={**ev.means, **m_means},
            per_item={**ev.per_query, **m_pq},
            artifact=format_trec_run(final, slug(self.pipe.label)),
            n_items=len(ev.query_ids),
            source=data.source,
            extra=extra,
        )

    def finish_timings(self, n_todo: int) -> None:
        """Close the timings and memory marks the metadata records (per query: this run's
        search time over the queries it searched, not the resumed ones)."""
        from ir_harness.plan.memory import peak_rss_bytes

        self.memory["peak_anon"] = max(self.memory.values())
        self.memory["peak_rss"] = peak_rss_bytes()
        self.timings["total_s"] = time.perf_counter() - self.t0
        self.timings["per_query_s"] = self.timings["search_s"] / max(1, n_todo)

    def store(
        self,
        spec: TaskSpec,
        data: TaskData,
        config: dict[str, Any],
        scored: Scores,
        n_todo: int,
        task_queries: int,
        plan: dict[str, Any] | None,
    ) -> Result:
        """Build and save the result with its scope (limit, seed, judge-made qrels) and data
        identity, including the sha256 of the queries actually run."""
        job = self.job
        scope = make_scope(
            job.config.limit_queries,
            job.config.seed,
            job.config.qrels_from,
            task_queries,
            scored.n_items,
        )
        identity = identity_of(spec, job, self.ctx, data.qrels)
        return store_result(
            ResultRecord(
                job,
                spec,
                self.pipe,
                self.ctx,
                config,
                scored,
                timings=self.timings,
                resumed=len(data.queries) - n_todo,
                scope=scope,
                data={**identity, "queries_sha256": queries_sha256(data.queries)},
                plan=plan,
                memory=self.memory,
            )
        )
