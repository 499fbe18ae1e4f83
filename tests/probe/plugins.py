"""Plugins for probes that need a real ``harness`` process to be mid-run when a signal lands."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.harness.fakes import OverlapRetriever

if TYPE_CHECKING:
    from ir_harness.data.model import Queries, Run
    from ir_harness.run.context import RunContext


class StallingRetriever(OverlapRetriever):
    """Notes each search call in ``$PROBE_PROGRESS``; stalls on call ``$PROBE_STALL_AT`` so the
    test can signal a process known to have committed the earlier batches."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        progress = Path(os.environ["PROBE_PROGRESS"])
        calls = len(progress.read_text().splitlines()) + 1 if progress.exists() else 1
        with progress.open("a") as f:
            f.write(f"{calls} {' '.join(sorted(queries))}\n")
        if calls == int(os.environ.get("PROBE_STALL_AT", "0")):
            time.sleep(120)
        return super().search(queries, k, ctx)


class EmptyRetriever(OverlapRetriever):
    """Returns nothing for every query (or only for ``q1`` with ``$PROBE_EMPTY=q1``)."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        only = os.environ.get("PROBE_EMPTY")
        full = super().search(queries, k, ctx)
        return {q: ({} if only in (None, q) else docs) for q, docs in full.items()}
