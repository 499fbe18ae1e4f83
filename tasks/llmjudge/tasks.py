"""The two LLMJudge task plugins: ``llmjudge`` (judge labels vs human labels) and
``llmjudge-pool`` (retrieval over the same test pool)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ir_harness.data.identity import qrels_sha256
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.protocols import RelevanceJudge
from ir_harness.self_running import JudgeMetaEvaluationTask
from ir_harness.task import Task
from ir_harness.tasks.llmjudge.agreement import AGREEMENT_METRICS
from ir_harness.tasks.llmjudge.data import FOLDER, LABELS, human_labels, load_pool, pool_spec
from ir_harness.tasks.llmjudge.labels import GRADES, Labels, labels_to_qrels
from ir_harness.tasks.llmjudge.runset import RANKING_METRICS
from ir_harness.tasks.llmjudge.scoring import (
    SETTINGS,
    JudgeSettings,
    score_label_file,
    score_labels,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ir_harness.data.model import TaskData
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.task import Scores


def _custom_spec(subset: str) -> TaskSpec:
    metrics = AGREEMENT_METRICS + (RANKING_METRICS if subset == "" else ())
    return TaskSpec(  # kappa/alpha are not ranx metric ids
        metric_engine="custom",
        name="llmjudge" + (f"/{subset}" if subset else ""),
        family="llmjudge",
        subset=subset,
        split=subset or "test",
        description="judge labels vs human labels: Cohen's kappa (main), binarised kappa, "
        "ordinal alpha, system-ranking tau/rho",
        metrics=metrics,
        main_metric="cohen_kappa",
        relevance_threshold=2,
        sources=(DataSourceSpec(kind="local", location=f"{FOLDER}/{LABELS[subset]}"),),
        reference={
            "willia-umbrela1 cohen_kappa": 0.2863,
            "h2oloo-fewself cohen_kappa": 0.2774,
            "prophet-setting2 cohen_kappa": 0.1757,
        }
        if subset == ""
        else {},
    )


class LLMJudgeTask(JudgeMetaEvaluationTask):
    """LLMJudge 2024 meta-evaluation: a judge's 0-3 labels, from a run or a submitted file,
    scored against the human labels; Cohen's kappa main."""

    family: ClassVar[str] = "llmjudge"
    description: ClassVar[str] = (
        "LLMJudge 2024: judge labels (0-3) vs human labels; Cohen's kappa, alpha, system ranking"
    )

    settings: ClassVar[tuple[str, ...]] = SETTINGS

    def subsets(self) -> list[str]:
        """Test (the empty subset: agreement and system ranking) and dev (label files only)."""
        return ["", "dev"]

    def spec(self, subset: str) -> TaskSpec:
        """The agreement metrics, with tau/rho on test; the task computes them itself (no ranking
        metric engine)."""
        if subset not in LABELS:
            raise ConfigError(f"llmjudge/{subset}: unknown subset; known: test (default), dev")
        return _custom_spec(subset)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The test pool a judge reads (queries and passages); dev has no passage texts, so it is
        refused."""
        if subset:
            raise ConfigError("llmjudge/dev has no passage texts; only label files can be scored")
        return load_pool(data_dir)

    def evaluate_file(
        self,
        subset: str,
        path: Path,
        data_dir: Path | None,
        run_set: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> Scores:
        """Score a label file; ``run_set``: folder of extra runs for tau/rho (``--run-set``,
        else the ``run_set`` setting); ``settings``: the task's settings as text."""
        from ir_harness.task import Scores

        s = JudgeSettings.parse(settings or {})
        metrics, extra = score_label_file(
            path, data_dir, subset, s.ranking, run_set or s.run_set, s.strict
        )
        return Scores(
            metrics=metrics, n_items=extra["n_pairs"], source=extra["human_labels"], extra=extra
        )

    def custom_run(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
        limit_queries: int | None = None,
    ) -> Scores:
        """Judge the test pairs and score them; ``limit_queries``: only the pairs of the first N
        queries (sorted ids, as ``ir_harness.task.limit_queries``), scored against those pairs."""
        from ir_harness.task import Scores

        judge = pipeline.stages[0]
        if not isinstance(judge, RelevanceJudge):
            raise ConfigError(
                f"llmjudge: system {pipeline.names[0]!r} is not a relevance judge "
                "(it needs judge(queries, corpus, pairs, ctx) -> {(qid, pid): 0-3})"
            )
        if subset:
            raise ConfigError("llmjudge/dev has no passage texts; a judge can only run on test")
        s = JudgeSettings.parse(ctx.task_settings.get(self.family, {}))
        data = load_pool(data_dir)
        human, src = human_labels(data_dir, subset)
        scope: dict[str, Any] = {}
        if limit_queries:
            keep = set(sorted({q for q, _ in human})[:limit_queries])
            human = {p: g for p, g in human.items() if p[0] in keep}
            scope = {"limit_queries": limit_queries, "queries": sorted(keep)}
        grades = judge.judge(data.queries, data.corpus, sorted(human), ctx)
        labels = Labels({})
        outside = 0
        for (q, d), g in grades.items():
            if (q, d) not in human:
                outside += 1
                continue
            if not 0 <= int(g) < GRADES:
                labels.out_of_range[(q, d)] = int(g)
            labels.grades[(q, d)] = min(max(int(g), 0), GRADES - 1)
        metrics, extra = score_labels(
            labels,
            human,
            data_dir,
            subset,
            ranking=False if scope else s.ranking,
            extra_pairs=outside,
            source=pipeline.names[0],
            run_set=s.run_set,
        )
        if scope:  # system ranking needs every query's labels: not computed on a subset
            extra["scope"] = scope
            extra["run_set"] = "none (system ranking skipped: --limit-queries judges a subset)"
        text = "".join(f"{q} 0 {d} {g}\n" for (q, d), g in sorted(labels.grades.items()))
        return Scores(
            metrics=metrics,
            artifact=text,
            artifact_name="labels.txt",
            n_items=len(human),
            source=str(src),
            extra=extra,
            qrels_sha256=qrels_sha256(labels_to_qrels(human)),
        )


class LLMJudgePoolTask(Task):
    """Ranking over the LLMJudge test pool, scored by its human qrels under TREC DL conventions
    (the spec the system-ranking agreement uses)."""

    family: ClassVar[str] = "llmjudge-pool"
    description: ClassVar[str] = (
        "LLMJudge test pool: 4,414 passages, 25 queries, human qrels (graded nDCG@10, rel>=2)"
    )

    def subsets(self) -> list[str]:
        """A single task, ``llmjudge-pool``."""
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        """``pool_spec()``; any subset is refused."""
        if subset:
            raise ConfigError("llmjudge-pool has no subsets")
        return pool_spec()

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The test pool with its human qrels, local or fetched (``load_pool``)."""
        return load_pool(data_dir)
