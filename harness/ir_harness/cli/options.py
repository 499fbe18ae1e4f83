"""What every ``harness`` command shares: option types, ``-o KEY=VALUE`` parsing, logging set-up
and console output. Plugin commands import these from here; the module loads only typer. The
console script's error handling is ``ir_harness.cli.entry``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ir_harness.errors import ConfigError
from ir_harness.redact import install_log_filter

if TYPE_CHECKING:
    from collections.abc import Iterator

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="HARNESS_DATA_DIR",
        show_envvar=False,
        help="local data folder (default: $HARNESS_DATA_DIR)",
    ),
]
Results = Annotated[Path, typer.Option("--results", help="result store folder")]
QrelsFrom = Annotated[
    Path | None,
    typer.Option(
        "--qrels-from",
        help="judge-made qrels file (qid 0 docid grade) to score with instead of the human qrels",
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="print one JSON object instead of a table")]
Wide = Annotated[
    bool,
    typer.Option("--wide", help="print tables at full width (default: fit the terminal)"),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="show INFO logs, the JVM's and libraries' lines and their bars"
    ),
]
Device = Annotated[str, typer.Option(help="cpu, cuda or auto")]
BatchSize = Annotated[int, typer.Option(min=1)]
LimitQueries = Annotated[int | None, typer.Option(min=1, help="keep the first N judged queries")]
SystemOption = Annotated[
    list[str] | None, typer.Option("-o", "--option", help="system option KEY=VALUE")
]
Executor = Annotated[
    str,
    typer.Option("--executor", help="local, or ray: corpus encoding and search over Ray workers"),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster to join (e.g. auto, HOST:6379); default: start a local one",
    ),
]
Workers = Annotated[
    int, typer.Option("--workers", min=1, help="Ray actors / tasks (one GPU each on CUDA)")
]


def make_executor(name: str, address: str | None, workers: int) -> Any:
    """The executor object of ``--executor NAME`` (with ``--ray-address``/``--workers``)."""
    if name == "local":
        from ir_harness.run.config import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from ir_harness.executors.ray_executor import RayExecutor

        return RayExecutor(address=address, workers=workers)
    from ir_harness.errors import ConfigError

    raise ConfigError(f"--executor {name!r}: expected local or ray")


def console() -> Any:
    """A rich console on stdout (rich loads only when something is printed)."""
    from rich.console import Console

    return Console(stderr=False)


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``-o KEY=VALUE`` strings; values are JSON when they parse (numbers, true/false)."""
    out: dict[str, Any] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"-o {p!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def setup_logging(quiet: bool, verbose: bool = False) -> None:
    """Warnings only by default; INFO logs, the JVM's INFO lines and libraries' progress bars
    (model weights, ...) with ``verbose``; not even the harness's own bars when ``quiet``.

    The harness's own progress bars (index, encode, search, LLM calls) are the run's business
    (``RunConfig.progress``): shown only when stdout is a terminal."""
    logging.basicConfig(
        level=logging.INFO if verbose and not quiet else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("faiss").setLevel(logging.WARNING)
    install_log_filter()  # no credential in any log line, httpx's request lines silenced
    if quiet:
        os.environ.setdefault("TQDM_DISABLE", "1")
    if not verbose or quiet:
        quiet_libraries()


def quiet_libraries() -> None:
    """No weight-loading bars or INFO chatter from Hugging Face libraries (set before they load;
    the environment is how they read it)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()


def show_progress(quiet: bool) -> bool:
    """The harness's own progress bars: on a terminal, unless quiet, printing JSON or
    ``$TQDM_DISABLE`` is set."""
    from ir_harness.cli.env import progress_disabled

    return not quiet and not progress_disabled() and sys.stdout.isatty()


def print_metrics(
    task: str,
    system: str,
    metrics: dict[str, float],
    main: str,
    n: int,
    *,
    wide: bool = False,
    task_queries: int | None = None,
) -> None:
    """The metric means of one result; the main metric is starred, Judged@10 (when present)
    beside it, and a warning line under the table when the run's top 10 is less than 80%
    judged. One metric per line when the row does not fit the terminal: no name or value is
    ever cut. A result over fewer queries than its task has (``task_queries``) says how many
    it covers, so its mean is not read as the task's."""
    from ir_harness.cli.tables import TextTable, print_table
    from ir_harness.eval.holes import JUDGED_AT_10, hole_warning, low_judged

    names = list(metrics)
    if JUDGED_AT_10 in metrics and main in metrics and main != JUDGED_AT_10:
        names.remove(JUDGED_AT_10)
        names.insert(names.index(main) + 1, JUDGED_AT_10)
    cols = [m + (" *" if m == main else "") for m in names]
    covers = (
        f"partial: covers {n} of {task_queries} queries"
        if task_queries is not None and n < task_queries
        else f"{n} queries"
    )
    t = TextTable(f"{system} on {task} ({covers})", cols, justify_right=set(cols))
    t.add_row(*[f"{metrics[m]:.4f}" for m in names])
    print_table(t, wide=wide)
    low = low_judged(metrics)
    if low is not None:
        from rich.markup import escape

        console().print(f"warning: {escape(hole_warning(low))}", style="yellow")


def print_per_query(per_query: dict[str, dict[str, float]], *, wide: bool = False) -> None:
    """One row per query (sorted ids), one column per measure."""
    from ir_harness.cli.tables import TextTable, print_table

    t = TextTable("per query", ["query", *per_query], justify_right=set(per_query))
    qids = sorted({q for values in per_query.values() for q in values})
    for q in qids:
        t.add_row(q, *[f"{v[q]:.4f}" if q in v else "" for v in per_query.values()])
    print_table(t, wide=wide)


@contextlib.contextmanager
def stdout_reserved(reserve: bool) -> Iterator[None]:
    """With --json, stdout carries only the JSON object: anything else written to file
    descriptor 1 meanwhile (the JVM's log4j lines, native libraries) goes to stderr."""
    if not reserve:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
