"""``harness compare``: paired significance tests of stored systems against a baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ir_harness.cli.options import JsonOut, Results, Wide  # noqa: TC001 (typer reads them)
from ir_harness.data.path_checks import require_dir
from ir_harness.errors import ConfigError


def compare_cmd(
    task: Annotated[str, typer.Option("--task", "-t")],
    results: Results = Path("results"),
    baseline: Annotated[
        str | None, typer.Option(help="system to compare against (default: best on the metric)")
    ] = None,
    metric: Annotated[
        str | None, typer.Option(help="metric (default: the task's main metric)")
    ] = None,
    test: Annotated[str, typer.Option(help="randomization or t-test")] = "randomization",
    alpha: float = 0.05,
    json_out: JsonOut = False,
    wide: Wide = False,
) -> None:
    """Paired significance tests (Holm-corrected) of every stored system against a baseline.

    Each pair is tested on the queries both were scored on (column "queries"); the default
    baseline is the best full, held-out row (partial rows and rows scored on their own training
    queries are flagged and never chosen as best)."""
    from ir_harness.eval.compare_results import compare_results
    from ir_harness.reproduce.determinism import nondeterminism_warning
    from ir_harness.store.results import iter_results

    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha {alpha}: expected a significance level between 0 and 1")
    if test not in ("randomization", "t-test"):
        raise ConfigError(f"--test {test!r}: expected 'randomization' or 't-test'")
    require_dir(results, "--results")

    stored = [r for r in iter_results(results) if r.task == task]
    if len(stored) < 2:
        raise ConfigError(
            f"compare needs at least two stored results for task {task!r} under {results}; "
            f"found {len(stored)}"
        )
    out = compare_results(stored, baseline, metric, test, alpha)  # type: ignore[arg-type]
    metric, base, n_task, notes, comps = (
        out.metric,
        out.baseline,
        out.task_queries,
        out.flags,
        out.comparisons,
    )
    for r in stored:
        if warning := nondeterminism_warning(r.id.row, r.metadata):
            typer.echo(warning, err=True)
    if json_out:
        print(json.dumps([{**c.__dict__, "flags": notes[c.system]} for c in comps]))
        return
    from ir_harness.cli.tables import TextTable, print_table

    t = TextTable(
        f"{task}: {metric}, {test} test vs {base} (Holm-corrected, alpha={alpha}); "
        "means over the queries each pair shares",
        ["system", "mean", "baseline", "p", "p (Holm)", "W/T/L", "queries", "", "flags"],
        justify_right={"mean", "baseline", "p", "p (Holm)"},
    )
    for c in comps:
        t.add_row(
            c.system,
            f"{c.mean:.4f}",
            f"{c.baseline_mean:.4f}",
            f"{c.p_value:.4g}",
            f"{c.p_holm:.4g}",
            f"{c.wins}/{c.ties}/{c.losses}",
            f"{c.n_queries}/{n_task}",
            "significant" if c.significant else "",
            "; ".join(notes[c.system].values()),
        )
    print_table(t, wide=wide)
