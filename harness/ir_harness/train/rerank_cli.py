"""``harness train --method M`` for a reranker method: the reranker branch of ``train_command``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

DATA_KEYS = {"labels", "group_size"}


def train_reranker_command(
    method: str,
    out: Path,
    task: str | None,
    teacher_run: str | None,
    option: list[str] | None,
    base_model: str,
    data_dir: Path | None,
    steps: int,
    batch_size: int,
    lr: float,
    min_relevance: int,
    max_queries: int | None,
    seed: int,
    device: str,
    amp: bool,
    json_out: bool,
    quiet: bool,
) -> None:
    """Distil a teacher's scores into a reranker: read the task and the teacher, pick the
    training queries, then train through the method's own recipe."""
    from ir_harness.cli.options import parse_options
    from ir_harness.run.runner import load_task
    from ir_harness.store.training_record import training_queries_record
    from ir_harness.train.methods import get_method
    from ir_harness.train.report import report
    from ir_harness.train.rerank_train import (
        RerankTrainConfig,
        read_teacher,
        teacher_queries,
        train_reranker,
    )

    if not task or not teacher_run:
        raise ConfigError(f"--method {method}: give --task (texts, qrels) and --teacher-run")
    spec_m = get_method(method, "rerank")
    opts = parse_options(option)
    labels = opts.pop("labels", "qrels")
    group_size = int(opts.get("group_size", spec_m.group_size))
    opts["group_size"] = group_size
    if spec_m.seeded:
        opts.setdefault("seed", seed)
    spec, data = load_task(task, data_dir)
    teacher = read_teacher(teacher_run, data)
    queries = teacher_queries(
        data, teacher, labels, min_relevance, group_size - 1, max_queries, seed
    )
    cfg = RerankTrainConfig(
        method=method,
        base_model=base_model,
        out=str(out),
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        amp=amp,
        options=opts,
        data_source=f"task:{spec.name} ({data.source}); teacher:{teacher_run}; labels:{labels}",
    )
    trained_on = training_queries_record(
        spec.name, spec.split, method, [q.qid for q in queries], cfg.data_source
    )
    rec = train_reranker(
        cfg, queries, data.corpus, progress=not (quiet or json_out), training_queries=trained_on
    )
    report(rec, json_out, f"{len(queries)} queries", out)
