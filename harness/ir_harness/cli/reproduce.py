"""``harness reproduce``: re-run a stored result and say whether it is identical, else where."""

from __future__ import annotations

import json
import math
from pathlib import Path  # noqa: TC003 - typer reads the annotations at runtime
from typing import Annotated

import typer

from ir_harness.cli.options import JsonOut, console, setup_logging, stdout_reserved


def _fmt(v: float) -> str:
    return "nan" if math.isnan(v) else f"{v:.4f}"


def reproduce_cmd(
    result_dir: Annotated[Path, typer.Argument(help="a stored result folder")],
    results: Annotated[
        Path | None,
        typer.Option("--results", help="scratch folder for the re-runs (default: a temp folder)"),
    ] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="runs; above 1 reports the per-query spread")
    ] = 1,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="data folder (default: the stored command's, else $HARNESS_DATA_DIR)"),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="device (default: the one the result recorded)")
    ] = None,
    top: Annotated[int, typer.Option(help="per-query deltas to show")] = 10,
    json_out: JsonOut = False,
) -> None:
    """Re-run a stored result from its metadata into a scratch folder and compare.

    Exit 0: identical outputs and per-query values; 1: something moved (the first stage that
    moved, per-query deltas, RBO@10 and Kendall's tau@100 are shown); 2: refused (other data
    at hand, or a kind of result that cannot be re-run here). Environment differences are
    listed either way."""
    from ir_harness.cli.env import data_dir_default
    from ir_harness.reproduce.rerun import reproduce

    setup_logging(True)
    with stdout_reserved(json_out):
        rep = reproduce(
            result_dir, results, repeat, data_dir, device, default_data_dir=data_dir_default()
        )
    if json_out:
        print(json.dumps(rep.to_json(), default=str))
        raise typer.Exit(0 if rep.identical else 1)
    out = console()
    verdict = "identical" if rep.identical else f"differs (first moved: {rep.first_moved})"
    out.print(f"{result_dir} ({rep.kind}): {verdict}", markup=False)
    out.print(
        f"{rep.metric}: stored {_fmt(rep.stored_score)}, re-run {_fmt(rep.new_score)}; "
        f"re-run stored in {rep.scratch}",
        markup=False,
    )
    for line in rep.environment:
        out.print(f"  environment: {line}", markup=False)
    for c in rep.checks:
        out.print(f"  {c.stage}: {c.status}" + (f" ({c.detail})" if c.detail else ""), markup=False)
    if rep.agreement:
        out.print(
            f"  agreement: mean RBO@10 {_fmt(rep.agreement['rbo@10'])}, mean Kendall's tau@100 "
            f"{_fmt(rep.agreement['kendall_tau@100'])} over {rep.agreement['queries']} queries",
            markup=False,
        )
    if rep.deltas:
        out.print(f"  per-query {rep.metric} deltas ({len(rep.deltas)} moved, largest first):")
        for q, a, b, d in rep.deltas[:top]:
            out.print(f"    {q}: {_fmt(a)} -> {_fmt(b)} ({d:+.4f})", markup=False)
    if rep.spread is not None:
        moved = {q: v for q, v in rep.spread.items() if v != 0}
        out.print(
            f"  determinism over {repeat} runs: {len(moved)} queries with a non-zero spread"
            + (
                f" (max {max(moved.values()):.4g}); recorded in the stored metadata"
                if moved
                else ""
            ),
            markup=False,
        )
    raise typer.Exit(0 if rep.identical else 1)
