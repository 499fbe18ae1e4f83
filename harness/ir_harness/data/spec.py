"""The validated task spec: every IR quirk of a benchmark lives here as data, never in a system."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ir_harness.eval.metric_names import parse_metric


class DataSourceSpec(BaseModel):
    """One place a task's data can come from; the first that works wins."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["local", "ir_datasets", "hf", "generated"]
    location: str = Field(
        description="folder relative to the data dir, ir_datasets id, HF dataset id, or a label"
    )
    revision: str = Field(
        "",
        description="online sources: the HF dataset revision (commit) or ir_datasets version the "
        "loader pins; empty = unpinned. Local sources are pinned by the sha256 of their files, "
        "recorded in each result's metadata (ir_harness.data.identity)",
    )
    note: str = ""


class TaskSpec(BaseModel):
    """What a task is and how it must be scored.

    Metric ids follow ranx's grammar (``ndcg@10``, ``recall@100``, ``map``); binary metrics see a
    document as relevant when its grade is at least ``relevance_threshold`` (trec_eval ``-l``).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    family: str
    subset: str = ""
    split: str = "test"
    description: str = ""
    metric_engine: Literal["ranx", "custom"] = Field(
        "ranx",
        description="'custom': the task computes its own metrics (STS, judge agreement); ids are free-form",
    )
    metrics: tuple[str, ...] = ("ndcg@10", "recall@100")
    main_metric: str = "ndcg@10"
    run_measures: tuple[str, ...] = Field(
        ("auc_by_pool",),
        description="registered measures (ir_harness.eval.measures) computed from the final run "
        "and the qrels beside the ranking metrics, each storing its values under the names it "
        "returns; ranking tasks report AUC by pool unless they declare otherwise, () for none",
    )
    relevance_threshold: int = Field(
        1, ge=1, description="minimum grade counted relevant by binary metrics"
    )
    ignore_identical_ids: bool = Field(
        False,
        description="drop doc ids equal to the query id (collections whose queries are documents)",
    )
    average_over: Literal["qrels", "intersection"] = Field(
        "qrels",
        description="'qrels': every judged query counts, unanswered ones score 0 (trec_eval -c); "
        "'intersection': only judged queries present in the run (pytrec_eval's default).",
    )
    run_depth: int = Field(1000, ge=1, description="documents kept per query before scoring")
    rerank_depth: int = Field(100, ge=1, description="candidates each reranking stage reorders")
    sources: tuple[DataSourceSpec, ...] = ()
    reference: dict[str, float] = Field(
        default_factory=dict, description="published numbers for sanity checks"
    )

    @model_validator(mode="after")
    def _main_in_metrics(self) -> TaskSpec:
        if self.metric_engine == "ranx":
            for m in self.metrics:
                parse_metric(m)
        if self.run_measures:
            from ir_harness.eval.measures import MEASURES

            for name in self.run_measures:
                if name not in MEASURES:
                    raise ValueError(
                        f"run_measures: unknown measure {name!r}; known: {MEASURES.names()}"
                    )
        if self.main_metric not in self.metrics:
            raise ValueError(
                f"main_metric {self.main_metric!r} is not among metrics {list(self.metrics)}"
            )
        return self
