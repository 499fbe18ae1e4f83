"""Streamed exact top-k over memory-mapped store shards against the in-memory path, same rows.

A synthetic store of ``BENCH_STREAM_N`` (default 1,000,000) x 384 seeded unit vectors in
65,536-row shards (``benchmarks.msmarco_probe``'s generator and store, written once to
``BENCH_STREAM_STORE``, default ``/tmp/stream-bench-store``), 1,000 queries, k = 1,000 (the
MS MARCO probe's setting). Each round runs both contenders, each in a fresh process
(``benchmarks/stream_procs/search_once.py``), alternating which goes first; the figure is
``extra_info.stream_over_memory`` = median over rounds of t(stream) / t(memory) (target
<= 1.1), with the load average beside every call. ``BENCH_STREAM_MODES=memory,stream,merged``
adds the merging fallback (the CPU stream before its heaps carried over); ``memory_fp32`` and
``stream_fp32`` are the fp32 paths (no bf16 prefilter). Ratios are over the first mode listed. Both must return the same bits (sha256).
Nothing is asserted on time. Run:
``OMP_NUM_THREADS=2 .venv/bin/pytest benchmarks/test_stream_bench.py --benchmark-only -s``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

N = int(os.environ.get("BENCH_STREAM_N") or 1_000_000)
NQ = int(os.environ.get("BENCH_STREAM_QUERIES") or 1000)
K = int(os.environ.get("BENCH_STREAM_K") or 1000)
ROUNDS = int(os.environ.get("BENCH_STREAM_ROUNDS") or 3)
MODES = (os.environ.get("BENCH_STREAM_MODES") or "memory,stream").split(",")
STORE = Path(os.environ.get("BENCH_STREAM_STORE") or "/tmp/stream-bench-store")


def write_store() -> None:
    from benchmarks.msmarco_probe import shard_rows
    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache

    store = CorpusEmbeddingCache(STORE, "synthetic-unit-vectors", f"stream-bench-{N}", N)
    for i in store.missing():
        store.write_shard(i, shard_rows(store, i, 384))
    store.finish()


def search(mode: str) -> dict[str, object]:
    root = Path(__file__).parent.parent
    script = Path(__file__).parent / "stream_procs" / "search_once.py"
    env = {**os.environ, "PYTHONPATH": f"{root / 'harness'}{os.pathsep}{root}"}
    cmd = [sys.executable, str(script), mode, str(STORE), str(N), str(NQ), str(K)]
    out = subprocess.run(cmd, env=env, capture_output=True, check=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_stream_vs_memory_own_processes(benchmark):  # type: ignore[no-untyped-def]
    write_store()
    calls: list[dict[str, object]] = []

    def rounds() -> None:
        for r in range(ROUNDS):
            order = MODES[r % len(MODES) :] + MODES[: r % len(MODES)]  # rotated
            pair = {m: search(m) for m in order}
            calls.extend(pair[m] for m in order)
            print(json.dumps(pair), flush=True)

    benchmark.group = f"stream vs memory N={N} (own processes)"
    benchmark.pedantic(rounds, rounds=1, iterations=1)
    base = MODES[0]  # every other contender over the first (default: the in-memory path)
    t0 = [float(c["seconds"]) for c in calls if c["mode"] == base]  # type: ignore[arg-type]
    info: dict[str, object] = {"n": N, "queries": NQ, "k": K, "calls": calls}
    for mode in MODES[1:]:
        t = [float(c["seconds"]) for c in calls if c["mode"] == mode]  # type: ignore[arg-type]
        ratios = [a / b for a, b in zip(t, t0, strict=True)]
        info[f"{mode}_over_{base}_per_round"] = [round(x, 3) for x in ratios]
        info[f"{mode}_over_{base}"] = round(statistics.median(ratios), 3)
    info.update(
        {
            "identical": len({c["sha256"] for c in calls}) == 1,
            "load_1min_now": os.getloadavg()[0],
        }
    )
    benchmark.extra_info.update(info)
    print("STREAM_BENCH " + json.dumps({k: v for k, v in info.items() if k != "calls"}))
    assert np.all(info["identical"])  # exactness, not time
