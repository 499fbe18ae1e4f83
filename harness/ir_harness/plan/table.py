"""The plan as one short terminal table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.cli.tables import TextTable, print_table

if TYPE_CHECKING:
    from ir_harness.plan.estimate import Plan


def _s(x: float | None) -> str:
    return "unknown" if x is None else f"{x:,.1f} s"


def _b(x: int | None) -> str:
    return "unknown" if x is None else f"{x / 1e6:,.0f} MB"


def plan_table(plan: Plan) -> TextTable:
    """One row per phase plus a total row (with the base RSS), the table ``harness plan`` prints."""
    i = plan.inputs
    table = TextTable(
        title=f"plan: {i['system']} on {i['n_documents']:,} documents, {i['n_queries']:,} queries",
        columns=["phase", "seconds", "memory +base", "disk", "note"],
        justify_right={"seconds", "memory +base", "disk"},
    )
    for name, p in plan.phases.items():
        table.add_row(name, _s(p.seconds), _b(p.peak_memory_bytes), _b(p.disk_bytes), p.note)
    table.add_row("total", _s(plan.seconds), _b(plan.peak_memory_bytes), _b(plan.disk_bytes),
                  f"base {_b(plan.base_bytes)}")  # fmt: skip
    return table


def print_plan(plan: Plan, wide: bool = False, stderr: bool = False) -> None:
    """On stderr for ``harness run``, whose stdout may carry only its JSON."""
    print_table(plan_table(plan), wide=wide, stderr=stderr)
