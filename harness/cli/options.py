"""What every ``harness`` command shares: option types, ``-o KEY=VALUE`` parsing, logging set-up,
console output, and the error handling of ``main`` (exit 2 for usage/config errors, 130 for
Ctrl-C, never a traceback). Plugin commands import these from here; the module loads only typer.
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

from harness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="local data folder (default: $HARNESS_DATA_DIR)")
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


def setup_logging(quiet: bool) -> None:
    """INFO logs on stderr, or only warnings (and no tqdm bars) when quiet or printing JSON."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("faiss").setLevel(logging.WARNING)
    if quiet:
        os.environ.setdefault("TQDM_DISABLE", "1")


def print_metrics(task: str, system: str, metrics: dict[str, float], main: str, n: int) -> None:
    """One table row of metric means; the main metric is starred."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(f"{system} on {task} ({n} queries)"))
    for m in metrics:
        t.add_column(m + (" *" if m == main else ""), justify="right")
    t.add_row(*[f"{v:.4f}" for v in metrics.values()])
    console().print(t)


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


def run_main(app: Callable[..., Any]) -> None:
    """Run a typer app as a console script: harness errors print one line and exit 2, Ctrl-C
    exits 130, click's usage errors keep their own message and code."""
    try:
        app(standalone_mode=False)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(
            "interrupted; finished query batches are checkpointed, re-run the same command to resume",
            file=sys.stderr,
        )
        sys.exit(130)
    except Exception as e:  # click's own usage errors
        import click

        # typer >= 0.2x vendors click: its usage errors derive from typer.TyperException
        usage = (click.exceptions.ClickException, getattr(typer, "TyperException", ()))
        if isinstance(e, usage) and hasattr(e, "show"):
            e.show()
            sys.exit(getattr(e, "exit_code", 2))
        if isinstance(e, (click.exceptions.Abort, typer.Abort)):
            sys.exit(1)
        raise
