"""``harness run``: run a system (or pipeline) on a task and store the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from ir_harness.cli.options import (
    BatchSize,
    DataDir,
    Device,
    Executor,
    JsonOut,
    LimitQueries,
    QrelsFrom,
    RayAddress,
    Results,
    Verbose,
    Wide,
    Workers,
    console,
    make_executor,
    parse_options,
    print_metrics,
    setup_logging,
    show_progress,
    stdout_reserved,
)
from ir_harness.data.path_checks import check_writable_dir, require_file
from ir_harness.run.config import DEFAULT_BATCH_SIZE


def run_cmd(
    system: Annotated[
        str,
        typer.Option(
            "--system",
            "-s",
            help="system or pipeline: a name from `harness list`, or FIRST>RERANKER",
        ),
    ],
    task: Annotated[
        str,
        typer.Option(
            "--task",
            "-t",
            help="task name from `harness list`, with /SUBSET where the task has subsets",
        ),
    ],
    data_dir: DataDir = None,
    results: Results = Path("results"),
    device: Device = "auto",
    batch_size: BatchSize = DEFAULT_BATCH_SIZE,
    limit_queries: LimitQueries = None,
    model: Annotated[
        str | None, typer.Option(help="model id or path for model-based systems")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("-o", "--option", help="system option KEY=VALUE (STAGE.KEY for one stage)"),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(help="LLM for LLM-based systems: openai:MODEL@URL, hf:ID, gguf:PATH_OR_ID"),
    ] = None,
    qrels_from: QrelsFrom = None,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    workers: Workers = 2,
    json_out: JsonOut = False,
    quiet: Annotated[bool, typer.Option(help="no progress bars or logs")] = False,
    verbose: Verbose = False,
    wide: Wide = False,
    llm_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="seconds per LLM call: an HTTP request, or a whole in-process GGUF call "
            "(default $HARNESS_LLM_TIMEOUT_S or 120)",
        ),
    ] = None,
    llm_attempts: Annotated[
        int | None,
        typer.Option(
            min=1, help="attempts per LLM HTTP request (default $HARNESS_LLM_ATTEMPTS or 6)"
        ),
    ] = None,
    llm_max_failed_share: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="refuse to store when more LLM answers than this share failed "
            "(default $HARNESS_LLM_MAX_FAILED_SHARE or 0.5)",
        ),
    ] = None,
    allow_llm_failures: Annotated[
        bool,
        typer.Option(
            help="store the result even above --llm-max-failed-share "
            "(also $HARNESS_LLM_ALLOW_FAILURES=1)"
        ),
    ] = False,
    plan: Annotated[
        bool,
        typer.Option(
            help="estimate time, memory and disk per phase first (what `harness plan` prints), "
            "record it, and stop when the peak will not fit"
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(help="with --plan: run even when the estimated peak exceeds what is free"),
    ] = False,
) -> None:
    """Run a system on a task and store run file, metrics and metadata."""
    from ir_harness.api import evaluate

    config, opts = prepare_run(dict(locals()))
    with stdout_reserved(json_out):
        res = evaluate(system, task, config, options=opts)
    _report(res, json_out, wide)


def prepare_run(kw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The run config and system options from ``harness run``'s flags (``harness plan`` too)."""
    import shlex

    import ir_harness.cli.env as env
    from ir_harness.run.config import RunConfig
    from ir_harness.run.context import default_cache_dir

    a = SimpleNamespace(**kw)

    setup_logging(a.quiet or a.json_out, a.verbose)
    check_writable_dir(a.results, "--results")
    check_writable_dir(default_cache_dir(), "cache folder ($HARNESS_CACHE_DIR)")
    if a.qrels_from is not None:
        require_file(a.qrels_from, "--qrels-from")
    opts = parse_options(a.option)
    if a.model:
        opts["model"] = a.model
    if a.llm:
        opts["llm"] = a.llm
    config = RunConfig(
        data_dir=a.data_dir,
        qrels_from=a.qrels_from,
        limit_queries=a.limit_queries,
        device=a.device,
        batch_size=a.batch_size,
        results=a.results,
        command=shlex.join(["harness", *sys.argv[1:]]),
        progress=show_progress(a.quiet or a.json_out),
        # the one place the environment is read for LLM settings: defaults for flags not given
        llm_policy=env.llm_policy(
            timeout_s=a.llm_timeout,
            attempts=a.llm_attempts,
            max_failed_share=a.llm_max_failed_share,
            allow_failures=True if a.allow_llm_failures else None,
        ),
        llm_cache=env.llm_cache(),
        task_settings=env.task_settings([a.task]),
        corpus_store=env.store_policy(),
        executor=make_executor(a.executor, a.ray_address, a.workers),
        plan=a.plan,
        force=a.force,
        memory_available=env.memory_available(),
    )
    return config, opts


def _report(res: Any, json_out: bool, wide: bool) -> None:
    payload = {
        "task": res.task,
        "system": res.system,
        "main_metric": res.main_metric,
        "main_score": res.main_score,
        "metrics": res.metrics,
        "n_queries": res.n_queries,
        "result_dir": str(res.path),
        "timings": res.metadata.timings,
        "stats": res.metadata.stats,
    }
    if res.members:
        payload["members"] = {
            m.task: {"main_score": m.main_score, "metrics": m.metrics} for m in res.members
        }
    if json_out:
        print(json.dumps(payload))
    else:
        for r in (*res.members, res):
            print_metrics(
                r.task, r.system, r.metrics, r.main_metric, r.n_queries, wide=wide,
                task_queries=r.record.scope.get("task_queries"),
            )  # fmt: skip
        console().print(f"stored in {res.path} ({res.metadata.timings['total_s']:.1f}s)")
