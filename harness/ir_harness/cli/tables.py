"""Tables for the terminal that never cut a metric name or a value.

rich squeezes a table wider than the terminal by ellipsising cells (``ndcg@…``, ``0.61…``). Here a
table is laid out at its natural width when that fits; otherwise each row becomes a block of
``column  value`` lines (one metric per line), which fits any width a name fits in. ``wide``
prints the natural layout whatever the width (for a wide terminal or a pager).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

# rich's default box: one space of padding each side plus one rule between columns
_PER_COLUMN = 3
# the least room the last column may wrap into before rows become blocks
_MIN_LAST = 20


@dataclass
class TextTable:
    """Plain-text cells (never rich markup: names like ``dense[model=x]`` are text)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    justify_right: set[str] = field(default_factory=set)
    caption: str | None = None

    def add_row(self, *cells: str) -> None:
        """Append one row; a cell count that differs from the columns' raises instead of
        rendering a shifted table."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([str(c) for c in cells])

    def column_widths(self) -> list[int]:
        """Each column's width when no cell wraps."""
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, max((len(x) for x in cell.splitlines()), default=0))
                      for w, cell in zip(widths, row, strict=True)]  # fmt: skip
        return widths

    def natural_width(self) -> int:
        """Characters the table needs when no cell wraps."""
        widths = self.column_widths()
        return sum(widths) + _PER_COLUMN * len(widths) + 1


def terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 80 (a pipe or a file)."""
    return shutil.get_terminal_size((80, 24)).columns


def render(table: TextTable, *, wide: bool = False, width: int | None = None) -> Any:
    """A rich renderable of ``table`` that fits ``width`` (the terminal's by default)."""
    width = width or terminal_width()
    if wide or table.natural_width() <= width:
        return _grid(table)
    widths = table.column_widths()
    if sum(widths[:-1]) + _PER_COLUMN * len(widths) + 1 + _MIN_LAST <= width:
        return _grid(table, wrap_last=True)  # prose in the last column wraps at words
    return _records(table, width)


def print_table(table: TextTable, *, wide: bool = False, stderr: bool = False) -> None:
    """Print ``table`` on stdout (or stderr), fitted to the terminal (or at full width with
    ``wide``)."""
    from rich.console import Console

    width = terminal_width()
    need = table.natural_width()
    console = Console(width=max(width, need) if wide else width, soft_wrap=False, stderr=stderr)
    console.print(render(table, wide=wide, width=width))


def _grid(table: TextTable, wrap_last: bool = False) -> Any:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(table.title), caption=Text(table.caption) if table.caption else None)
    last = len(table.columns) - 1
    for i, col in enumerate(table.columns):
        t.add_column(
            Text(col),
            justify="right" if col in table.justify_right else "left",
            no_wrap=not (wrap_last and i == last),
            overflow="fold",
            min_width=len(col) if i != last else None,
        )
    for row in table.rows:
        t.add_row(*[Text(c) for c in row])
    return t


def _records(table: TextTable, width: int) -> Any:
    """One block per row: ``column  value`` lines, values folded (never cut) at the width."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    key_width = max((len(c) for c in table.columns), default=0)
    parts: list[Any] = [Text(table.title, style="bold")]
    for i, row in enumerate(table.rows):
        t = Table.grid(padding=(0, 2))
        t.add_column(no_wrap=True, min_width=min(key_width, max(width // 2, 1)))
        t.add_column(overflow="fold")
        for col, cell in zip(table.columns, row, strict=True):
            if cell != "":
                t.add_row(Text(col), Text(cell))
        if len(table.rows) > 1:
            parts.append(Text(f"-- {i + 1} of {len(table.rows)} --", style="dim"))
        parts.append(t)
    if table.caption:
        parts.append(Text(table.caption, style="dim"))
    return Group(*parts)
