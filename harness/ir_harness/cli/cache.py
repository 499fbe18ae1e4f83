"""``harness cache verify``: the full check of the corpus stores and corpus embedding caches in the cache folder."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotations)
from typing import Annotated

import typer

cache_app = typer.Typer(no_args_is_help=True, help="Check the on-disk stores in the cache folder.")


@cache_app.command("verify")
def cache_verify(
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="cache folder (default: $HARNESS_CACHE_DIR)"),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option("--repair", help="remove what fails, so the next run rebuilds it"),
    ] = False,
) -> None:
    """Re-read every stored corpus and embedding shard against its checksums; exit 1 if any
    fails (each failure names its file)."""
    from ir_harness.cache.verify import verify_cache
    from ir_harness.run.context import default_cache_dir

    root = cache_dir or default_cache_dir()
    findings = verify_cache(root, repair)
    bad = [f for f in findings if f.problem]
    for f in findings:
        if f.problem is None:
            print(f"ok       {f.what}: {f.path}")
        else:
            state = "REMOVED " if f.repaired else "DAMAGED "
            print(f"{state} {f.problem}")
    print(
        f"{len(findings) - len(bad)} intact, {len(bad)} damaged"
        + (" (removed: the next run rebuilds them)" if repair and bad else "")
        + f" under {root}"
    )
    if bad:
        raise typer.Exit(1)
