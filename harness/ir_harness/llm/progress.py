"""A live progress line for LLM-driven runs: queries done, calls / budget, tokens, rate, ETA.

LLM systems can run for many minutes per query on a CPU model; the line shows they are alive
and how far along they are, and ``announce`` logs the call estimate before the work starts.
The line goes to stderr through tqdm (as the rest of the harness) and only when the run asked
for progress (``ctx.progress``: off under ``--json`` / ``--quiet``) and stderr is a terminal,
so piped output and JSON consumers never see it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

log = logging.getLogger(__name__)


if TYPE_CHECKING:
    from ir_harness.llm.base import Completion
    from ir_harness.run.context import RunContext


def progress_enabled(ctx: RunContext, stream: TextIO | None = None) -> bool:
    """True when the run wants progress (the command line turns it off for ``$TQDM_DISABLE``)
    and ``stream`` (stderr) is a terminal."""
    stream = stream or sys.stderr
    if not getattr(ctx, "progress", False):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def announce(name: str, units: int, unit: str, budget: int | None) -> None:
    """Log, before a run starts, how many LLM calls it will make at most."""
    if budget is None:
        log.info("%s: %d %s, LLM calls not known in advance", name, units, unit)
    else:
        log.info("%s: %d %s, at most %d LLM calls", name, units, unit, budget)


class LLMProgress:
    """Counts calls as an ``LLMSession`` makes them (``on_call``) and units as systems finish
    them (``done``); renders ``name: 3/21 queries | calls 61/840 (cached 0) | 52k tok |
    4.1 calls/s | ETA``. ``per_call`` advances one unit per call (the judge: a unit is a pair)."""

    def __init__(
        self,
        name: str,
        ctx: RunContext,
        total: int | None,
        budget: int | None = None,
        unit: str = "queries",
        per_call: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        self.budget = budget
        self.per_call = per_call
        self.calls = self.cached = self.tokens = 0
        self._t0 = time.perf_counter()
        self._last = 0.0
        self._lock = threading.Lock()
        self.bar: Any = None
        announce(name, total or 0, unit, budget)
        if progress_enabled(ctx, stream):
            import shutil

            from tqdm import tqdm

            # a terminal that reports no width (a bare pty) would get an empty line
            sized = shutil.get_terminal_size((0, 0)).columns > 0
            self.bar = tqdm(
                total=total,
                desc=name,
                unit=f" {unit}",
                file=stream or sys.stderr,
                dynamic_ncols=sized,
                ncols=None if sized else 120,
                mininterval=0.5,
                disable=False,  # decided above; tqdm's own TQDM_* defaults must not re-decide
            )

    @property
    def enabled(self) -> bool:
        return self.bar is not None

    def postfix(self) -> str:
        """The counters shown after the bar: calls (of the budget), cached answers, tokens, call
        rate."""
        rate = self.calls / max(time.perf_counter() - self._t0, 1e-9)
        budget = f"/{self.budget}" if self.budget is not None else ""
        return (
            f"calls {self.calls}{budget} (cached {self.cached}) | "
            f"{self.tokens / 1000:.1f}k tok | {rate:.1f} calls/s"
        )

    def on_call(self, c: Completion) -> None:
        """Count one answer the session returned: a cached one only as cached, a call with its
        tokens; thread-safe, and the postfix redraws at most every 0.5 s."""
        with self._lock:
            if c.cached:
                self.cached += 1
            else:
                self.calls += 1
                self.tokens += c.prompt_tokens + c.completion_tokens
            if self.bar is None:
                return
            if self.per_call:
                self.bar.update(1)
            now = time.perf_counter()
            if now - self._last > 0.5:
                self._last = now
                self.bar.set_postfix_str(self.postfix(), refresh=True)

    def done(self, n: int = 1) -> None:
        """Advance by ``n`` finished units; ignored under ``per_call``, where each call advances the
        bar."""
        if self.bar is not None and not self.per_call:
            with self._lock:
                self.bar.update(n)

    def close(self) -> None:
        """Show the final counters and end the bar; a second call does nothing."""
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix(), refresh=True)
            self.bar.close()
            self.bar = None

    def __enter__(self) -> LLMProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
