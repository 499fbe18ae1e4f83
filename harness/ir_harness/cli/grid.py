"""``harness grid``: every system on every task, locally or over Ray; stored cells are skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ir_harness.cli.options import (
    BatchSize,
    DataDir,
    Device,
    Executor,
    LimitQueries,
    RayAddress,
    Results,
    SystemOption,
    Workers,
    make_executor,
    parse_options,
    setup_logging,
)
from ir_harness.errors import HarnessError
from ir_harness.run.config import DEFAULT_BATCH_SIZE


def grid_cmd(
    systems: Annotated[str, typer.Option("--systems", help="comma-separated systems or pipelines")],
    tasks: Annotated[str, typer.Option("--tasks", help="comma-separated task names")],
    data_dir: DataDir = None,
    results: Results = Path("results"),
    device: Device = "auto",
    batch_size: BatchSize = DEFAULT_BATCH_SIZE,
    limit_queries: LimitQueries = None,
    option: SystemOption = None,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    workers: Workers = 2,
    retries: Annotated[int, typer.Option(min=0, help="retries of a failed cell")] = 1,
    cpus_per_cell: Annotated[float, typer.Option(help="Ray: CPUs each cell declares")] = 1.0,
    gpus_per_cell: Annotated[float, typer.Option(help="Ray: GPUs each cell declares")] = 0.0,
    memory_per_cell: Annotated[
        float | None, typer.Option(help="Ray: memory each cell declares, in GB")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="only the final table")] = False,
) -> None:
    """Run every system on every task; stored cells are skipped, failed ones reported."""
    import ir_harness.cli.env as env
    from ir_harness.run.config import RunConfig
    from ir_harness.run.context import resolve_device
    from ir_harness.run.grid_runner import GridOptions, run_grid

    setup_logging(True)
    task_names = [t.strip() for t in tasks.split(",") if t.strip()]
    config = RunConfig(
        data_dir=data_dir,
        results=results,
        device=resolve_device(device),
        batch_size=batch_size,
        limit_queries=limit_queries,
        progress=False,
        llm_cache=env.llm_cache(),
        corpus_store=env.store_policy(),
        task_settings=env.task_settings(task_names),
        executor=make_executor(executor, ray_address, workers),
    )
    grid = GridOptions(
        systems=[s.strip() for s in systems.split(",") if s.strip()],
        tasks=task_names,
        config=config,
        options=parse_options(option),
        retries=retries,
        cpus=cpus_per_cell,
        gpus=gpus_per_cell,
        memory_gb=memory_per_cell,
    )
    cells = run_grid(grid, live=not quiet)
    failed = [c for c in cells if c.status == "failed"]
    if failed:
        raise HarnessError(
            f"{len(failed)} of {len(cells)} cells failed: "
            + "; ".join(f"{c.task} x {c.system}: {c.error}" for c in failed)
        )
