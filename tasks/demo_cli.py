"""``harness demo``: the embedded LIMIT-style task with BM25 and dense retrieval, then the site
(a command of the ``demo`` task's package, entry point ``harness.commands: demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.options import Results, print_metrics, setup_logging


def demo_cmd(
    results: Results = Path("demo-results"),
    out: Annotated[Path, typer.Option("--out")] = Path("demo-site"),
    systems: str = "bm25,dense",
) -> None:
    """Run the embedded LIMIT-style task with BM25 and dense retrieval, then build the leaderboard."""
    from harness.runner import RunOptions, run
    from leaderboard.build import build

    setup_logging(False)
    for s in systems.split(","):
        o = run(RunOptions(system=s, task="demo", results=results))
        print_metrics(
            o.metrics.task,
            o.metrics.system,
            o.metrics.metrics,
            o.metrics.main_metric,
            o.metrics.n_queries,
        )
    print(f"leaderboard written to {build(results, out)}")


def register(app: typer.Typer) -> None:
    """Entry point ``harness.commands: demo``."""
    app.command("demo")(demo_cmd)
