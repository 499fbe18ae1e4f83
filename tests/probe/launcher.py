"""``python -m tests.probe.launcher ARGS``: the real ``harness`` entry point, plus the tiny test
plugins and a query batch size from ``$PROBE_QUERY_BATCH`` (not a CLI option)."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import ir_harness.run.family
from ir_harness.cli import main
from ir_harness.registry import SYSTEMS, TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask
from tests.probe.plugins import (
    BadDense,
    BadEncoder,
    BadScorer,
    BadStoreEncoder,
    EmptyRetriever,
    NaNRetriever,
    StallingRetriever,
)

TASKS.register("tiny", TinyTask)
SYSTEMS.register("overlap", OverlapRetriever)
SYSTEMS.register("stalling", StallingRetriever)
SYSTEMS.register("empty", EmptyRetriever)
SYSTEMS.register("badenc", BadEncoder)
SYSTEMS.register("badstore", BadStoreEncoder)
SYSTEMS.register("baddense", BadDense)
SYSTEMS.register("badscore", BadScorer)
SYSTEMS.register("nanrun", NaNRetriever)

_run_any = ir_harness.run.family.run_any


def _run_any_batched(job, *a, **kw):  # type: ignore[no-untyped-def]
    if os.environ.get("PROBE_QUERY_BATCH"):
        config = replace(job.config, query_batch=int(os.environ["PROBE_QUERY_BATCH"]))
        job = replace(job, config=config)
    return _run_any(job, *a, **kw)


ir_harness.run.family.run_any = _run_any_batched

if __name__ == "__main__":
    # A test run started in the background (``cmd &``, nohup) hands its children SIGINT
    # ignored, and Python then keeps it ignored; the probes send SIGINT on purpose and expect
    # what a terminal's Ctrl-C does, so the launcher restores Python's own handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
