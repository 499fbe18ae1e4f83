"""``harness oracle-sweep``: a system with the oracle LLM at several noise levels; imports only
typer at load."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)
from typing import Annotated

import typer

from ir_harness.cli.options import parse_options, stdout_reserved
from ir_harness.errors import ConfigError


def oracle_sweep_command(
    system: Annotated[str, typer.Option("--system", "-s", help="system or pipeline")],
    task: Annotated[str, typer.Option("--task", "-t")],
    noise: Annotated[str, typer.Option(help="noise levels (sigma), comma-separated")] = (
        "0,0.25,0.5,1,2"
    ),
    seeds: Annotated[str, typer.Option(help="oracle seeds, comma-separated")] = "0",
    flip: Annotated[float, typer.Option(help="probability of a random answer")] = 0.0,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", envvar="HARNESS_DATA_DIR", show_envvar=False)
    ] = None,
    results: Annotated[Path, typer.Option("--results")] = Path("results"),
    in_process: Annotated[
        bool, typer.Option("--in-process", help="call the oracle directly instead of over HTTP")
    ] = False,
    limit_queries: Annotated[int | None, typer.Option(min=1)] = None,
    option: Annotated[
        list[str] | None, typer.Option("-o", "--option", help="system option KEY=VALUE")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON array")] = False,
) -> None:
    """Run SYSTEM on TASK with the oracle LLM at each noise level; store one result per level."""
    import json
    import logging

    from ir_harness.cli.env import llm_cache, progress_disabled
    from ir_harness.llm.oracle.sweep import SweepOptions, parse_floats
    from ir_harness.llm.oracle.sweep import sweep as _run_sweep

    logging.basicConfig(
        level=logging.WARNING if json_out else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per call otherwise
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds {seeds!r}: expected comma-separated integers") from None
    with stdout_reserved(json_out):  # the JVM (BM25 stages) prints to file descriptor 1
        outs = _run_sweep(
            SweepOptions(
                system=system,
                task=task,
                noise=parse_floats(noise, "noise"),
                seeds=seed_list or [0],
                flip=flip,
                data_dir=data_dir,
                results=results,
                http=not in_process,
                limit_queries=limit_queries,
                system_options=parse_options(option),
                progress=not json_out and not progress_disabled(),
                llm_cache=llm_cache(),
            )
        )
    rows = [
        {
            "noise": sigma,
            "seed": seed,
            "system": o.system,
            "main_metric": o.main_metric,
            "main_score": o.main_score,
            "n_queries": o.n_queries,
            "llm_calls": o.metadata.stats.get("llm_calls", 0),
            "result_dir": str(o.path),
        }
        for sigma, seed, o in outs
    ]
    if json_out:
        print(json.dumps(rows))
        return
    from ir_harness.cli.tables import TextTable, print_table

    metric = rows[0]["main_metric"] if rows else "score"
    t = TextTable(
        f"{system} on {task}: oracle sweep",
        ["noise", "seed", metric, "calls", "system"],
        justify_right={metric, "calls"},
    )
    for r in rows:
        t.add_row(
            f"{r['noise']:g}",
            str(r["seed"]),
            f"{r['main_score']:.4f}",
            str(r["llm_calls"]),
            r["system"],
        )
    print_table(t)
