"""``ir_harness.evaluate`` from four threads at once, in a loop, in a fresh interpreter.

Issue 23.6: the first calls race on the registry scan (an entry-point task, nothing registered
by hand first) and every call runs ranx's numba kernels, whose workqueue threading layer aborts
the process on concurrent launches. Prints one JSON line: calls made, errors, distinct scores.
Exit 0 only when every call returned the same score. Usage:
``PYTHONPATH=. python scripts/threads_probe.py --iterations 100``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
from pathlib import Path

from ir_harness.protocols import SystemMeta


class WordOverlap:
    """Scores a document by the query words it contains: no model, deterministic."""

    def __init__(self) -> None:
        self.docs: dict[str, set[str]] = {}

    def meta(self) -> SystemMeta:
        return SystemMeta(name="word-overlap", kind="lexical", backend="python")

    def index(self, corpus, ctx) -> None:  # type: ignore[no-untyped-def]
        self.docs = {i: set(d.full_text.lower().split()) for i, d in corpus.items()}

    def search(self, queries, k, ctx):  # type: ignore[no-untyped-def]
        out = {}
        for qid, text in queries.items():
            words = set(str(text).lower().split())
            scored = {d: float(len(words & w)) for d, w in self.docs.items()}
            top = sorted(scored.items(), key=lambda x: (-x[1], x[0]))[:k]
            out[qid] = dict(top)
        return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--task", default="demo")
    ap.add_argument("--limit-queries", type=int, default=20)
    ap.add_argument("--results", type=Path, default=None)
    a = ap.parse_args()
    results = a.results or Path(tempfile.mkdtemp(prefix="threads-probe-"))

    from ir_harness.api import evaluate

    scores: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(a.threads)

    def worker(t: int) -> None:
        for i in range(a.iterations):
            try:
                barrier.wait(timeout=600)
                r = evaluate(
                    WordOverlap(),
                    a.task,
                    results=results / f"t{t}",  # one store per thread: no lock contention
                    limit_queries=a.limit_queries,
                    name=f"word-overlap-{t}",
                )
                with lock:
                    scores.append(r.main_score)
            except Exception as e:  # noqa: BLE001 - every failure is reported, none hidden
                with lock:
                    errors.append(f"thread {t} iteration {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(a.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    distinct = sorted(set(scores))
    print(json.dumps({"calls": len(scores), "errors": errors[:20], "scores": distinct}))
    return 0 if not errors and len(distinct) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
