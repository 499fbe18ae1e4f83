"""``harness eval``: score an existing run file with the task's official conventions."""

from __future__ import annotations

import json
from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)
from typing import Annotated, Any

import typer

from ir_harness.cli.options import DataDir, JsonOut, QrelsFrom, print_metrics, stdout_reserved
from ir_harness.data.path_checks import regular_file, require_file
from ir_harness.errors import ConfigError


def eval_cmd(
    run_file: Annotated[Path, typer.Argument(help="TREC run file (six columns)")],
    task: Annotated[str, typer.Option("--task", "-t")],
    data_dir: DataDir = None,
    qrels_from: QrelsFrom = None,
    run_set: Annotated[
        Path | None,
        typer.Option(
            "--run-set",
            help="folder of TREC runs for tasks that rank systems (e.g. judge meta-evaluation: tau/rho)",
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            min=1,
            help="score only the first N documents of each query (default: all, as trec_eval)",
        ),
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Score an existing TREC run file with the task's official conventions.

    Every document of each query counts unless ``--depth`` cuts, as ``trec_eval`` scores a run
    file (a task's own runs are cut at its documented depth when they are made). ``-`` or a pipe
    reads the run from there; gzip is recognised by its magic bytes.
    """
    with regular_file(run_file, "RUN_FILE") as readable:
        _eval(readable, task, data_dir, qrels_from, run_set, depth, json_out, shown=run_file)


def _eval(
    run_file: Path,
    task: str,
    data_dir: Path | None,
    qrels_from: Path | None,
    run_set: Path | None,
    depth: int | None,
    json_out: bool,
    shown: Path,
) -> None:
    from ir_harness.data.formats import read_trec_run_table
    from ir_harness.eval.coverage import read_judge_qrels_checked, run_coverage
    from ir_harness.eval.metrics import evaluate
    from ir_harness.task import get_task, resolve_data_dir

    require_file(run_file, "RUN_FILE")
    if qrels_from is not None:
        require_file(qrels_from, "--qrels-from")
    coverage: dict[str, int] = {}
    with stdout_reserved(json_out):
        task_obj, subset = get_task(task)
        spec = task_obj.spec(subset)
        if task_obj.evaluates_files:
            if depth is not None:
                raise ConfigError(f"task {spec.name!r} scores judgments, not rankings: no --depth")
            kw: dict[str, Path] = {}
            if run_set is not None:
                if not task_obj.takes_run_set:
                    raise ConfigError(f"task {spec.name!r} takes no --run-set")
                kw["run_set"] = run_set
            res = task_obj.evaluate_file(subset, run_file, resolve_data_dir(data_dir), **kw)
            means, n, extra = res.metrics, res.n_items, res.extra
        else:
            if run_set is not None:
                raise ConfigError(f"task {spec.name!r} takes no --run-set")
            run = read_trec_run_table(run_file)
            data = task_obj.load_judgments(subset, resolve_data_dir(data_dir))
            qrels = data.qrels
            if qrels_from:
                qrels, coverage = read_judge_qrels_checked(qrels_from, data.qrels)
            qname = str(qrels_from) if qrels_from else f"task {spec.name}'s qrels"
            ranked = run.rows_per_query()  # what run_coverage reads: query -> truthy if ranked
            coverage.update(run_coverage(ranked, qrels, run_file, qname, known=data.queries))
            ev = evaluate(run, qrels, spec, data, depth=depth)
            means, n, extra = ev.means, len(ev.query_ids), {}
    payload: dict[str, Any] = {
        "task": spec.name,
        "run": str(shown),
        "main_metric": spec.main_metric,
        "main_score": means[spec.main_metric],
        "metrics": means,
        "n_queries": n,
    }
    if not task_obj.evaluates_files:  # documents scored per query: N, or "all" (trec_eval's rule)
        payload["depth"] = depth if depth is not None else "all"
    if extra:
        payload["extra"] = extra  # e.g. warnings, the llmjudge run set and its hashes
    if coverage:
        payload["coverage"] = coverage
    if json_out:
        print(json.dumps(payload))
    else:
        label = shown.name or str(shown)
        label += f", depth {depth}" if depth is not None else ""
        print_metrics(spec.name, label, means, spec.main_metric, n)
