"""``harness list``: registered tasks or systems, without importing any heavy library."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ir_harness.cli.options import JsonOut, Wide  # noqa: TC001 (typer reads them)
from ir_harness.errors import ConfigError


def list_cmd(
    what: Annotated[str, typer.Argument(help="tasks or systems")] = "tasks",
    name: Annotated[
        str | None, typer.Argument(help="one task family: its subsets and data sources")
    ] = None,
    json_out: JsonOut = False,
    wide: Wide = False,
) -> None:
    """List registered tasks (name, main metric, description) or systems; `harness list tasks
    NAME` shows one family's subsets and data sources."""
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
                rows.append(_task_row(fam))
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
    if name is not None:
        rows = [r for r in rows if r["name"] == name]
        if not rows:
            raise ConfigError(f"harness list {what} {name!r}: no such {what[:-1]} registered")
    if json_out:
        print(json.dumps(rows))
        return
    from ir_harness.cli.tables import TextTable, print_table, terminal_width

    if what == "systems":
        table = TextTable("registered systems", ["name", "target"])
        for r in rows:
            table.add_row(r["name"], r["target"])
    elif name is not None:
        r = rows[0]
        table = TextTable(f"task family {r['name']}", ["field", "value"])
        table.add_row("main metric", r["main_metric"])
        table.add_row("description", r["description"])
        table.add_row("sources", "\n".join(r["sources"]))
        table.add_row("subsets", "\n".join(r["subsets"]) or "(none)")
    else:
        table = TextTable("registered tasks", ["name", "main metric", "description"])
        used = max(len(r["name"]) for r in rows) + max(len(r["main_metric"]) for r in rows)
        room = max(terminal_width() - used - 3 * 3 - 1, 20)
        for r in rows:
            table.add_row(r["name"], r["main_metric"], _first_line(r["description"], room, wide))
        table.caption = "harness list tasks NAME: a family's subsets and data sources"
    print_table(table, wide=wide)


def _first_line(text: str, room: int, wide: bool) -> str:
    """The description's first sentence, cut to the room the row leaves (descriptions are
    prose, never a value: ``--wide`` or ``harness list tasks NAME`` shows it whole)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = line.split(". ")[0].rstrip(".")
    return line if wide or len(line) <= room else line[: room - 1] + "\u2026"


def _task_row(fam: str) -> dict[str, Any]:
    """One family's row: its subsets, description, main metric and data sources. Raises what
    the plugin raises (importing it, listing its subsets or building a spec)."""
    from ir_harness.registry import TASKS

    cls = TASKS.get(fam)  # task modules import only the light core
    task = cls()
    subsets = task.subsets()
    # A family of free-form subsets may name a representative spec (synthetic/<N>).
    spec = task.spec(subsets[0]) if subsets else getattr(task, "example_spec", None)
    spec = spec() if callable(spec) else spec
    return {
        "name": fam,
        "subsets": [s for s in subsets if s],
        "description": cls.description,
        # a family that accepts any subset name has no one spec to show
        "main_metric": spec.main_metric if spec else "per subset",
        "sources": [f"{s.kind}:{s.location}" for s in spec.sources] if spec else [],
    }
