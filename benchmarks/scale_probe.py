"""One scale measurement in a fresh process, printed as one JSON line (used by
``test_scale_bench.py``; runnable by hand: ``python -m benchmarks.scale_probe run 100000 local``).

Memory is the peak of ``RssAnon`` (resident anonymous memory, from ``/proc/self/status``), i.e.
resident memory beyond memory-mapped files (the corpus store and the embedding shards are
file-backed and can be dropped by the kernel at any time), sampled every 20 ms, per stage.

Modes:
  ``run N EXECUTOR``: ``harness run --system hashing --task synthetic/N`` through the runner with
  a fresh embedding cache (the corpus store is generated once and shared); per stage (load,
  encode = index, search, evaluate) wall time and peak RssAnon; the run file's sha256.
  ``throughput N``: encode and top-k through the stores against the in-memory path (all texts in
  a dict, one embedding matrix in RAM), same process, same data.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def rss_anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """Background sampler of RssAnon with timestamps, so stage peaks can be cut out later."""

    def __init__(self, interval: float = 0.02) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), rss_anon_mb()))
            time.sleep(interval)

    def __enter__(self) -> Sampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()

    def peak(self, t0: float, t1: float) -> float:
        inside = [m for t, m in self.samples if t0 <= t <= t1]
        return max(inside, default=rss_anon_mb())


def probe_run(n: int, executor: str, cache: Path, results: Path) -> dict[str, Any]:
    from ir_harness.executors.ray_executor import RayExecutor
    from ir_harness.run.config import LocalExecutor
    from ir_harness.run.job import RunJob
    from ir_harness.run.runner import run

    with Sampler() as s:
        t0 = time.perf_counter()
        out = run(
            RunJob.of(
                system="hashing",
                task=f"synthetic/{n}",
                results=results,
                cache_dir=cache,
                progress=False,
                executor=RayExecutor(workers=2) if executor == "ray" else LocalExecutor(),
            )
        )
        t_end = time.perf_counter()
    tm = out.metadata.timings
    stages: dict[str, Any] = {}
    start = t0
    for name, key in (
        ("load", "load_s"),
        ("encode", "index_s"),
        ("search", "search_s"),
        ("evaluate", "evaluate_s"),
    ):
        stop = start + tm[key]
        stages[name] = {"seconds": round(tm[key], 2), "peak_anon_mb": round(s.peak(start, stop))}
        start = stop
    run_file = (out.path / "run.trec").read_bytes()
    return {
        "n": n,
        "executor": executor,
        "total_s": round(t_end - t0, 2),
        "stages": stages,
        "peak_anon_mb": round(s.peak(t0, t_end)),
        "run_sha256": hashlib.sha256(run_file).hexdigest(),
        "ndcg@10": out.metrics["ndcg@10"],
        "stats": out.metadata.stats,
    }


def probe_throughput(n: int, cache: Path) -> dict[str, Any]:
    import numpy as np

    from ir_harness.data.model import Corpus
    from ir_harness.kernels.stream import stream_topk
    from ir_harness.kernels.topk import exact_topk
    from ir_harness.run.context import RunContext
    from ir_harness.systems.hashing import HashingEmbedder
    from ir_harness.tasks.synthetic import load_synthetic

    data = load_synthetic(n)
    ctx = RunContext(cache_dir=cache, progress=False)
    emb = HashingEmbedder()
    qv = emb.encode(list(data.queries.values()), "query")
    res: dict[str, Any] = {"n": n}

    t = time.perf_counter()
    emb.index(data.corpus, ctx)  # through the corpus store and the corpus embedding cache
    res["encode_store_docs_per_s"] = round(n / (time.perf_counter() - t))
    store = emb._store

    t = time.perf_counter()
    mem = Corpus(data.corpus.documents())  # the old path: every text in RAM
    parts = [emb.encode(texts, "document") for _, texts in mem.batches(4096)]
    matrix = np.concatenate(parts)
    del parts
    res["encode_memory_docs_per_s"] = round(n / (time.perf_counter() - t))
    res["encode_ratio_store_over_memory"] = round(
        res["encode_store_docs_per_s"] / res["encode_memory_docs_per_s"], 3
    )
    del mem

    ratios, same = [], True
    for _ in range(3):  # alternate, so drift from other users' load hits both paths alike
        t = time.perf_counter()
        a = exact_topk(qv, matrix, 100)
        t_mem = time.perf_counter() - t
        t = time.perf_counter()
        b = stream_topk(qv, store.shards(), 100)
        t_store = time.perf_counter() - t
        ratios.append(t_mem / t_store)
        same &= bool(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))
    res["topk_memory_s_last"] = round(t_mem, 2)
    res["topk_store_s_last"] = round(t_store, 2)
    res["topk_ratios"] = [round(r, 3) for r in ratios]
    res["topk_throughput_ratio_store_over_memory"] = round(sorted(ratios)[1], 3)  # median of 3
    res["topk_identical"] = same
    return res


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    scratch = Path(os.environ.get("SCALE_SCRATCH") or tempfile.mkdtemp(prefix="scale-"))
    load = os.getloadavg()
    if mode == "run":
        executor = sys.argv[3]
        tag = f"{n}-{executor}-{os.getpid()}"
        out = probe_run(n, executor, scratch / f"emb-{tag}", scratch / f"results-{tag}")
    else:
        out = probe_throughput(n, scratch / f"emb-tp-{n}-{os.getpid()}")
    out["loadavg_before"] = [round(x, 2) for x in load]
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print("SCALE_RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
