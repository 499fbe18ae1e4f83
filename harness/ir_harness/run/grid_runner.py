"""``harness grid``: every system x task cell as one run, locally or as Ray tasks.

A cell whose result is already stored with the same identity (task spec name, system, options,
query limit: the fields of the run config chosen by the user; the corpus hash and depths follow
from the task) is skipped. Failed cells are retried (``retries`` times), then reported with their
error while the other cells' results stay stored. With Ray each cell is one task declaring its
resources (CPUs, GPUs, memory); the result folder must be on a file system every node shares.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.store.results import config_hash, iter_results
from ir_harness.task import get_task

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.run.config import RunConfig
    from ir_harness.run.job import RunJob


@dataclass
class Cell:
    """One system x task run of a grid and how it went, for the progress table and the report."""

    system: str
    task: str
    status: str = "pending"  # pending, skipped, running, done, failed
    main_metric: str = ""
    score: float | None = None
    error: str = ""
    attempts: int = 0
    seconds: float = 0.0
    path: str = ""


@dataclass
class GridOptions:
    """A grid as given: systems, tasks, the shared run config and each Ray task's resources;
    ``plan`` fills ``cells``."""

    systems: list[str]
    tasks: list[str]
    config: RunConfig  # results, limit_queries, device, executor ... shared by all cells
    options: dict[str, Any] = field(default_factory=dict)  # system options of every cell
    retries: int = 1
    cpus: float = 1.0
    gpus: float = 0.0
    memory_gb: float | None = None
    cells: list[Cell] = field(default_factory=list)


def identity(task: str, system: str, options: dict[str, Any], limit: int | None) -> str:
    """The part of a result's config that a grid cell determines before loading any data."""
    from ir_harness.run.runner import identity_config

    task_obj, subset = get_task(task)
    name = task_obj.spec(subset).name
    return config_hash(identity_config(name, system, options, limit))


def stored_identities(results: Path) -> dict[str, tuple[str, float, str]]:
    """identity -> (main metric, score, folder) of every stored result."""
    out: dict[str, tuple[str, float, str]] = {}
    if not results.exists():
        return out
    for metrics, meta, path in iter_results(results):
        from ir_harness.run.runner import identity_config

        c: dict[str, Any] = meta.config
        task: Any = c.get("task")  # as stored (None where an old config lacks it)
        system: Any = c.get("system")
        options: Any = c.get("options")
        key = config_hash(identity_config(task, system, options, c.get("limit_queries")))
        out[key] = (metrics.main_metric, metrics.main_score, str(path))
    return out


def _run_cell(job: RunJob) -> tuple[str, float, str]:
    """One cell in this process (also the body of the Ray task)."""
    from ir_harness.run.family import run_any

    out = run_any(job)[-1]
    return out.main_metric, out.main_score, str(out.path)


def plan(grid: GridOptions) -> list[Cell]:
    """One cell per task x system, already-stored ones marked skipped (with their score), unknown
    tasks failed."""
    done = stored_identities(Path(grid.config.results or "results"))
    cells = []
    for task in grid.tasks:
        for system in grid.systems:
            cell = Cell(system=system, task=task)
            try:
                key = identity(task, system, grid.options, grid.config.limit_queries)
            except Exception as e:  # noqa: BLE001 - an unknown task fails its cells, not the grid
                cell.status, cell.error = "failed", f"{type(e).__name__}: {e}"
            else:
                if key in done:
                    cell.status = "skipped"
                    cell.main_metric, cell.score, cell.path = done[key]
            cells.append(cell)
    grid.cells = cells
    return cells


def _cell_job(grid: GridOptions, cell: Cell) -> RunJob:
    """A cell runs whole in one process: the grid's executor spreads cells, not their work."""
    from ir_harness.run.config import LocalExecutor
    from ir_harness.run.job import RunJob

    config = replace(
        grid.config,
        results=Path(grid.config.results or "results").resolve(),
        progress=False,
        executor=LocalExecutor(),
    )
    return RunJob(system=cell.system, task=cell.task, config=config, options=dict(grid.options))


def run_local(grid: GridOptions, update: Callable[[], None]) -> None:
    """Runs the pending cells one after another here, each retried ``retries`` times; a failure
    stays in its cell."""
    for cell in grid.cells:
        if cell.status != "pending":
            continue
        cell.status = "running"
        update()
        t0 = time.perf_counter()
        while True:
            cell.attempts += 1
            try:
                cell.main_metric, cell.score, cell.path = _run_cell(_cell_job(grid, cell))
                cell.status, cell.error = "done", ""
                break
            except Exception as e:  # noqa: BLE001 - reported per cell
                cell.error = f"{type(e).__name__}: {e}"
                if cell.attempts > grid.retries:
                    cell.status = "failed"
                    break
        cell.seconds = time.perf_counter() - t0
        update()


def run_ray(grid: GridOptions, update: Callable[[], None]) -> None:
    """Runs the pending cells as Ray tasks with the grid's resources, retried by Ray, updating each
    as it finishes."""
    from ir_harness.executors.ray_executor import RayExecutor, ensure_ray, restore_sigterm
    from ir_harness.run.signals import deferred_sigterm

    ex = grid.config.executor
    with deferred_sigterm():  # a SIGTERM is raised after ray.init, not inside it
        ray = ensure_ray(ex.address, ex.workers) if isinstance(ex, RayExecutor) else ensure_ray()
        restore_sigterm()
    resources: dict[str, Any] = {"num_cpus": grid.cpus, "num_gpus": grid.gpus}
    if grid.memory_gb:
        resources["memory"] = int(grid.memory_gb * 2**30)
    task = ray.remote(max_retries=grid.retries, retry_exceptions=True, **resources)(_run_cell)
    pending: dict[Any, Cell] = {}
    started: dict[int, float] = {}
    for cell in grid.cells:
        if cell.status == "pending":
            ref = task.remote(_cell_job(grid, cell))
            pending[ref] = cell
            cell.status = "running"
            started[id(cell)] = time.perf_counter()
    update()
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
        for ref in ready:
            cell = pending.pop(ref)
            cell.seconds = time.perf_counter() - started[id(cell)]
            try:
                cell.main_metric, cell.score, cell.path = ray.get(ref)
                cell.status = "done"
            except Exception as e:  # noqa: BLE001 - RayTaskError wraps the cell's own error
                cause = getattr(e, "cause", None) or e
                cell.status, cell.error = "failed", f"{type(cause).__name__}: {cause}"
            cell.attempts = 1 + (grid.retries if cell.status == "failed" else 0)
        update()


def table(cells: list[Cell]) -> Any:
    """The grid's cells as a table that fits the terminal (one block per cell when it cannot)."""
    from ir_harness.cli.tables import TextTable, render

    t = TextTable(
        "harness grid",
        ["task", "system", "status", "main metric", "score", "seconds", "error"],
        justify_right={"score", "seconds"},
    )
    for c in cells:
        t.add_row(
            c.task,
            c.system,
            c.status,
            c.main_metric,
            "" if c.score is None else f"{c.score:.4f}",
            f"{c.seconds:.1f}" if c.seconds else "",
            c.error[:120],
        )
    return render(t)


def run_grid(grid: GridOptions, live: bool = True) -> list[Cell]:
    """Plan, run the missing cells with a live table, return every cell's outcome; cells are
    Ray tasks when the config's executor is a ``RayExecutor``."""
    from rich.console import Console
    from rich.live import Live

    plan(grid)
    console = Console()
    runner = run_ray if grid.config.executor.name == "ray" else run_local
    if live and console.is_terminal:
        with Live(table(grid.cells), console=console, refresh_per_second=2) as view:
            runner(grid, lambda: view.update(table(grid.cells)))
    else:
        seen: dict[int, str] = {}

        def report() -> None:  # no terminal: one line per change of a cell's status
            for c in grid.cells:
                if live and seen.get(id(c)) != c.status and c.status not in ("pending",):
                    seen[id(c)] = c.status
                    score = "" if c.score is None else f" {c.main_metric}={c.score:.4f}"
                    console.print(f"grid: {c.task} x {c.system}: {c.status}{score} {c.error}")

        report()
        runner(grid, report)
        console.print(table(grid.cells))
    return grid.cells
