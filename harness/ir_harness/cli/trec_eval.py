"""``harness trec-eval``: NIST trec_eval 10.0's command line, output and exit statuses.

The arguments go to ``ir_harness.trec_eval`` untouched (its own getopt-style parser), so
scripts written for ``trec_eval`` work with the command swapped."""

from __future__ import annotations

import sys

import typer  # noqa: TC002 (typer reads the Context annotation at run time)

CONTEXT = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "allow_interspersed_args": False,
    "help_option_names": [],
}


def trec_eval_cmd(ctx: typer.Context) -> None:
    """trec_eval 10.0 drop-in: harness trec-eval [-q] [-m measure[.params]]... QRELS RUN."""
    from ir_harness.trec_eval.main import run_command

    out = sys.stdout.buffer

    def write(text: str) -> None:
        out.write(text.encode("latin-1"))

    def err(text: str) -> None:
        out.flush()
        sys.stderr.write(text)

    status = run_command(list(ctx.args), write, err)
    out.flush()
    if status:
        raise SystemExit(status)
