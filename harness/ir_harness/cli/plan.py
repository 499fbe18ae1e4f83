"""``harness plan``: the pre-flight estimate of a ``harness run`` with the same flags."""

from __future__ import annotations

import inspect
import json
import time
import typing
from typing import Any

import typer

from ir_harness.cli.options import stdout_reserved
from ir_harness.cli.run import prepare_run, run_cmd


def estimate(system: str, task: str, config: Any, opts: dict[str, Any]) -> Any:
    """Load the task, build the pipeline and probe it as the run would (nothing is stored)."""
    from ir_harness.corpus.policy import using as store_policy
    from ir_harness.plan.estimate import make_plan
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import build_pipeline
    from ir_harness.task import get_task, limit_queries, resolve_data_dir

    t0 = time.perf_counter()
    task_obj, subset = get_task(task)
    spec = task_obj.spec(subset)
    with store_policy(config.corpus_store):
        data = limit_queries(task_obj.load(subset, resolve_data_dir(config.data_dir)),
                             config.limit_queries)  # fmt: skip
    load_s = time.perf_counter() - t0
    pipe = build_pipeline(system, opts)
    return make_plan(pipe, spec, data, RunContext.from_config(config, task), load_s)


def plan_cmd(**kw: Any) -> None:
    """Estimate seconds, peak memory and disk per phase of `harness run` with these flags."""
    from ir_harness.plan.fit import PlanDoesNotFit, check_fits
    from ir_harness.plan.table import print_plan

    config, opts = prepare_run(kw)
    with stdout_reserved(kw["json_out"]):
        plan = estimate(kw["system"], kw["task"], config, opts)
    if kw["json_out"]:
        print(json.dumps(plan.record()))
    else:
        print_plan(plan, wide=kw["wide"])
    try:
        check_fits(plan, kw["force"], config.memory_available)
    except PlanDoesNotFit as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


# the flags of `harness run`, the same definitions (typer reads the signature and the hints)
plan_cmd.__signature__ = inspect.signature(run_cmd, eval_str=True)  # type: ignore[attr-defined]
plan_cmd.__annotations__ = typing.get_type_hints(run_cmd, include_extras=True)
