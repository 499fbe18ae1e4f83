"""``harness convert-candidates``: a RankGPT-style candidate file as a TREC run.

A plugin command (entry point ``harness.commands: convert-candidates``) because the reader lives
with the TREC DL task; only typer is imported at module load.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations at run time)
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def convert_candidates(src: Path, dst: Path, tag: str = "candidates") -> None:
    """Convert a RankGPT-style candidate jsonl (query + hits) into a TREC run file."""
    from ir_harness.data.formats import atomic_write_text, format_trec_run
    from ir_harness.tasks.trec_dl import read_rankgpt_candidates

    run, _, _ = read_rankgpt_candidates(src)
    atomic_write_text(dst, format_trec_run(run, tag))
    print(f"wrote {sum(len(v) for v in run.values())} lines for {len(run)} queries to {dst}")


def register(app: typer.Typer) -> None:
    """Entry point ``harness.commands: convert-candidates``."""
    app.command("convert-candidates")(convert_candidates)
