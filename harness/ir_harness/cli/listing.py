"""``harness list``: registered tasks or systems, without importing any heavy library."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ir_harness.cli.options import JsonOut, console
from ir_harness.errors import ConfigError


def list_cmd(
    what: Annotated[str, typer.Argument(help="tasks or systems")] = "tasks",
    json_out: JsonOut = False,
) -> None:
    """List registered tasks (with subsets, main metric and data sources) or systems."""
    from ir_harness.registry import SYSTEMS, TASKS

    if what not in ("tasks", "systems"):
        raise ConfigError(f"harness list {what!r}: expected 'tasks' or 'systems'")
    if what == "systems":
        rows: list[dict[str, Any]] = [
            {"name": n, "target": SYSTEMS.target(n)} for n in SYSTEMS.names()
        ]
    else:
        rows = []
        for fam in TASKS.names():
            try:
                cls = TASKS.get(fam)  # task modules import only the light core
                task = cls()
            except Exception as e:  # a broken third-party plugin must not hide the others
                rows.append(
                    {
                        "name": fam,
                        "subsets": [],
                        "description": f"failed to load: {type(e).__name__}: {e}",
                        "main_metric": "",
                        "sources": [],
                    }
                )
                continue
            subsets = task.subsets()
            # A family of free-form subsets may name a representative spec (synthetic/<N>).
            spec = task.spec(subsets[0]) if subsets else getattr(task, "example_spec", None)
            spec = spec() if callable(spec) else spec
            rows.append(
                {
                    "name": fam,
                    "subsets": [s for s in subsets if s],
                    "description": cls.description,
                    # a family that accepts any subset name has no one spec to show
                    "main_metric": spec.main_metric if spec else "per subset",
                    "sources": [f"{s.kind}:{s.location}" for s in spec.sources] if spec else [],
                }
            )
    if json_out:
        print(json.dumps(rows))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"registered {what}")
    for col in rows[0] if rows else []:
        table.add_column(col)
    for r in rows:
        table.add_row(
            *[escape(", ".join(v) if isinstance(v, list) else str(v)) for v in r.values()]
        )
    console().print(table)
