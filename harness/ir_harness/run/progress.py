"""One progress bar per long phase of a run (index, encode, search; LLM calls have their own
line in ``ir_harness.llm.progress``): counts, rate and time left, on stderr.

Shown only when the run asked for progress (``RunContext.progress``: the CLI sets it when stdout
is a terminal and neither ``--quiet`` nor ``--json`` was given) and ``TQDM_DISABLE`` is unset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.run.context import RunContext


class _NoBar:
    """What a phase gets when no bar is shown: the same calls, doing nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def phase_bar(ctx: RunContext, phase: str, total: int, unit: str) -> Any:
    """A bar for ``phase`` over ``total`` units (a tqdm bar, or one that shows nothing; the
    command line turns progress off for ``$TQDM_DISABLE``, which tqdm honours too)."""
    if not ctx.progress or total <= 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=phase, unit=unit, leave=False, dynamic_ncols=True)
