"""``harness leaderboard build|serve``: the static site from a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ir_harness.cli.options import Results  # noqa: TC001 (typer reads the annotations)

leaderboard_app = typer.Typer(
    no_args_is_help=True, help="Build the static leaderboard from a results folder."
)


@leaderboard_app.command("build")
def leaderboard_build(
    results: Results = Path("results"), out: Annotated[Path, typer.Option("--out")] = Path("site")
) -> None:
    """Write summary.json and static HTML pages (no network needed to view them)."""
    from ir_harness.leaderboard.build import build

    index = build(results, out)
    print(f"leaderboard written to {index}")


@leaderboard_app.command("serve")
def leaderboard_serve(
    site: Annotated[Path, typer.Argument(help="built site folder")] = Path("site"),
    port: Annotated[int, typer.Option("--port", help="port on 127.0.0.1")] = 8000,
) -> None:
    """Serve a built site on 127.0.0.1 for a quick look (Ctrl-C stops)."""
    from ir_harness.leaderboard.serve import serve

    serve(site, port)
