"""``harness eval``: score a run file against a qrels file, or with a task's official conventions.

Parsing and printing only: the numbers come from :func:`ir_harness.eval.score.score_run`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)
from typing import Annotated, Any

import typer

from ir_harness.cli.options import (
    DataDir,
    JsonOut,
    QrelsFrom,
    Wide,
    print_metrics,
    print_per_query,
    stdout_reserved,
)
from ir_harness.data.path_checks import regular_file, require_file
from ir_harness.errors import ConfigError


def eval_cmd(
    run_file: Annotated[Path, typer.Argument(help="TREC run file (six columns)")],
    task: Annotated[
        str | None,
        typer.Option("--task", "-t", help="score with this task's conventions (and qrels)"),
    ] = None,
    qrels: Annotated[
        Path | None,
        typer.Option(
            "--qrels",
            help="TREC qrels file (qid iter docid grade): with no --task, trec_eval's conventions "
            "(every judged query counts, grade >= 1 relevant); with --task, instead of its qrels",
        ),
    ] = None,
    measures: Annotated[
        list[str] | None,
        typer.Option(
            "-m",
            "--measure",
            help="measure (repeatable): trec_eval names (map, P.5, ndcg_cut.10, recall.100, "
            "Rprec, bpref, recip_rank, set_F, success.5) or ir_measures' (nDCG@10, AP, RR, "
            "Judged@10, ERR@20, RBP(p=0.8), AP(rel=2), nDCG@10(judged_only)); default: the "
            "task's, or ndcg@10, map, P@10, recall@1000, mrr",
        ),
    ] = None,
    per_query: Annotated[
        bool, typer.Option("--per-query", "-q", help="also print every query's values")
    ] = False,
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
    wide: Wide = False,
) -> None:
    """Score a TREC run file against ``--qrels``, or with a task's official conventions.

    Judged@10 (the share of each top 10 that is judged) is reported beside every ranking
    result, with a warning under 80%. Every document of each query counts unless ``--depth`` cuts, as ``trec_eval`` scores a run
    file (a task's own runs are cut at its documented depth when they are made). ``-`` or a pipe
    reads the run from there; gzip is recognised by its magic bytes.
    """
    if task is None and qrels is None:
        raise ConfigError("harness eval needs --qrels QRELS_FILE or --task TASK")
    if task is None and (qrels_from is not None or run_set is not None):
        raise ConfigError("--qrels-from and --run-set need --task")
    with regular_file(run_file, "RUN_FILE") as readable:
        if task is None:
            assert qrels is not None
            _eval_qrels(
                readable, qrels, measures, depth, per_query, json_out, shown=run_file, wide=wide
            )
        else:
            _eval(
                readable,
                task,
                qrels,
                measures,
                per_query,
                data_dir,
                qrels_from,
                run_set,
                depth,
                json_out,
                shown=run_file,
                wide=wide,
            )


def _ranking_measures(measures: list[str] | None, default: tuple[str, ...]) -> list[str]:
    """The measures asked for (or the default), as measure ids."""
    from ir_harness.eval.score import measures_of

    chosen = list(measures) if measures else list(default)
    return [m.id for m in measures_of(chosen)]


def _eval_qrels(
    run_file: Path,
    qrels_file: Path,
    measures: list[str] | None,
    depth: int | None,
    per_query: bool,
    json_out: bool,
    shown: Path,
    wide: bool = False,
) -> None:
    from ir_harness.data.formats import read_trec_qrels_table, read_trec_run_table
    from ir_harness.eval.score import DEFAULT_MEASURES, score_run

    require_file(run_file, "RUN_FILE")
    require_file(qrels_file, "--qrels")
    from ir_harness.eval.holes import with_judged_at_10

    ids = _ranking_measures(measures, DEFAULT_MEASURES)
    with stdout_reserved(json_out):
        run = read_trec_run_table(run_file)
        qrels = read_trec_qrels_table(qrels_file)  # columns: a large qrels file stays small
        ev = score_run(run, qrels, with_judged_at_10(ids, qrels), depth=depth)
    main = ids[0]
    payload: dict[str, Any] = {
        "run": str(shown),
        "qrels": str(qrels_file),
        "main_metric": main,
        "main_score": ev.means[main],
        "metrics": ev.means,
        "n_queries": len(ev.query_ids),
        "depth": depth if depth is not None else "all",
    }
    pq = ev.per_query if per_query else None
    _report(payload, pq, json_out, shown, depth, qrels_file.name, wide=wide)


def _report(
    payload: dict[str, Any],
    per_query: dict[str, dict[str, float]] | None,
    json_out: bool,
    shown: Path,
    depth: int | None,
    against: str,
    wide: bool = False,
) -> None:
    """Print the result: one JSON object, or the table (and the per-query table)."""
    from ir_harness.eval.holes import hole_warning, low_judged

    if per_query is not None:
        payload["per_query"] = per_query
    if json_out:
        print(json.dumps(payload))
        low = low_judged(payload["metrics"])
        if low is not None:
            print(f"warning: {hole_warning(low)}", file=sys.stderr)
        return
    label = shown.name or str(shown)
    label += f", depth {depth}" if depth is not None else ""
    if per_query is not None:
        print_per_query(per_query, wide=wide)
    metrics, main, n = payload["metrics"], payload["main_metric"], payload["n_queries"]
    print_metrics(against, label, metrics, main, n, wide=wide)


def _eval(
    run_file: Path,
    task: str,
    qrels_file: Path | None,
    measures: list[str] | None,
    per_query: bool,
    data_dir: Path | None,
    qrels_from: Path | None,
    run_set: Path | None,
    depth: int | None,
    json_out: bool,
    shown: Path,
    wide: bool = False,
) -> None:
    from ir_harness.data.formats import encode_id, read_trec_qrels, read_trec_run_table
    from ir_harness.eval.coverage import read_judge_qrels_checked, run_coverage
    from ir_harness.eval.score import score_run
    from ir_harness.self_running import JudgeMetaEvaluationTask
    from ir_harness.task import get_task, resolve_data_dir

    require_file(run_file, "RUN_FILE")
    if qrels_from is not None:
        require_file(qrels_from, "--qrels-from")
    if qrels_file is not None:
        require_file(qrels_file, "--qrels")
        if qrels_from is not None:
            raise ConfigError("--qrels and --qrels-from both replace the task's qrels: give one")
    coverage: dict[str, int] = {}
    pq: dict[str, dict[str, float]] | None = None
    with stdout_reserved(json_out):
        task_obj, subset = get_task(task)
        spec = task_obj.spec(subset)
        judge_task = task_obj if isinstance(task_obj, JudgeMetaEvaluationTask) else None
        if judge_task is not None:  # the task scores the submitted labels itself
            if depth is not None:
                raise ConfigError(f"task {spec.name!r} scores judgments, not rankings: no --depth")
            kw: dict[str, Any] = {}
            if run_set is not None:
                kw["run_set"] = run_set
            if task_obj.settings:
                from ir_harness.cli.env import task_settings

                kw["settings"] = task_settings([task]).get(task_obj.family, {})
            res = judge_task.evaluate_file(subset, run_file, resolve_data_dir(data_dir), **kw)
            means, n, extra = res.metrics, res.n_items, res.extra
        else:
            if run_set is not None:
                raise ConfigError(f"task {spec.name!r} takes no --run-set")
            if spec.metric_engine != "ranx" and measures:
                raise ConfigError(f"task {spec.name!r} computes its own metrics: no -m")
            run = read_trec_run_table(run_file)
            data = task_obj.load_judgments(subset, resolve_data_dir(data_dir))
            # a run file holds ids as the harness writes them (whitespace percent-encoded: LIMIT's
            # names), so the task's own qrels are compared in that written form
            qrels = {
                encode_id(q): {encode_id(d): g for d, g in docs.items()}
                for q, docs in data.qrels.items()
            }
            if qrels_from:
                qrels, coverage = read_judge_qrels_checked(qrels_from, data.qrels)
            elif qrels_file is not None:
                qrels = read_trec_qrels(qrels_file)
            given = qrels_from or qrels_file
            qname = str(given) if given else f"task {spec.name}'s qrels"
            ranked = run.rows_per_query()  # what run_coverage reads: query -> truthy if ranked
            coverage.update(run_coverage(ranked, qrels, run_file, qname, known=data.queries))
            from ir_harness.eval.holes import with_judged_at_10

            ids = with_judged_at_10(_ranking_measures(measures, spec.metrics), qrels)
            ev = score_run(run, qrels, ids, spec=spec, data=data, depth=depth)
            means, n, extra = ev.means, len(ev.query_ids), {}
            pq = ev.per_query if per_query else None
    main = spec.main_metric
    if measures and judge_task is None and main not in means:
        main = _ranking_measures(measures, spec.metrics)[0]
    payload: dict[str, Any] = {
        "task": spec.name,
        "run": str(shown),
        "main_metric": main,
        "main_score": means[main],
        "metrics": means,
        "n_queries": n,
    }
    if judge_task is None:  # documents scored per query: N, or "all" (trec_eval's rule)
        payload["depth"] = depth if depth is not None else "all"
    if extra:
        payload["extra"] = extra  # e.g. warnings, the llmjudge run set and its hashes
    if coverage:
        payload["coverage"] = coverage
    _report(payload, pq, json_out, shown, depth, spec.name, wide=wide)
