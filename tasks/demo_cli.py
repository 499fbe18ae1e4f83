"""``harness demo``: the embedded LIMIT-style task with BM25 and dense retrieval, then the site
(a command of the ``demo`` task's package, entry point ``harness.commands: demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ir_harness.cli.options import (
    Results,
    Verbose,
    Wide,
    print_metrics,
    setup_logging,
    show_progress,
)


def demo_cmd(
    results: Results = Path("demo-results"),
    out: Annotated[Path, typer.Option("--out")] = Path("demo-site"),
    systems: str = "bm25,dense",
    verbose: Verbose = False,
    wide: Wide = False,
) -> None:
    """Run the embedded LIMIT-style task with BM25 and dense retrieval, then build the leaderboard."""
    from ir_harness.leaderboard.build import build
    from ir_harness.run.config import RunConfig
    from ir_harness.run.job import RunJob
    from ir_harness.run.runner import run

    setup_logging(False, verbose)
    config = RunConfig(results=results, device="cpu", progress=show_progress(False))
    for s in systems.split(","):
        o = run(RunJob(s, "demo", config))
        print_metrics(
            o.task,
            o.system,
            o.metrics,
            o.main_metric,
            o.n_queries,
            wide=wide,
        )
    print(f"leaderboard written to {build(results, out)}")


def register(app: typer.Typer) -> None:
    """Entry point ``harness.commands: demo``."""
    app.command("demo")(demo_cmd)
