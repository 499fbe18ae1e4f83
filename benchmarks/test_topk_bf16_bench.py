"""The bf16-prefiltered exact top-k (kernels/prefilter.py) against the plain chunked fp32 sgemm.

1,000 unit queries x N unit vectors (d=384), k=100, same threads everywhere, one process.
Each round runs, interleaved: ``sgemm`` (the fp32 score blocks alone, the kernel's block sizes,
nothing selected: the bar every exact fp32 library stops at), ``fused_fp32`` (the fused fp32
top-k, ``bf16_prefilter=False``) and ``bf16`` (``bf16_prefilter=True``). The figure that
matters: ``extra_info.bf16_speedup_vs_sgemm`` = median over rounds of t(sgemm) / t(bf16)
(target >= 2 at N = 1M). Also reported: re-scored candidates per query, the fraction of
(query block x chunk) blocks that fell back to fp32, the bf16 path's seconds per stage, and
the load average at each round. The bf16 result is checked bit-identical to the fp32 one (a
correctness check, not a timing one). Nothing is asserted on time.

Run: ``BENCH_BF16_SIZES=1000000 .venv/bin/pytest benchmarks/test_topk_bf16_bench.py
--benchmark-only -s`` (``BENCH_ROUNDS`` rounds, default 2).
"""

from __future__ import annotations

import json
import os
import statistics
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

from benchmarks.conftest import K, data  # noqa: E402
from ir_harness.kernels import prefilter  # noqa: E402
from ir_harness.kernels.topk import topk_torch  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_BF16_SIZES", "1000000").split(",")]
CHUNK, QBLOCK = 16384, 1024  # topk_torch's defaults


def run_sgemm(qt, ct):
    for q0 in range(0, qt.shape[0], QBLOCK):
        for c0 in range(0, ct.shape[0], CHUNK):
            qt[q0 : q0 + QBLOCK] @ ct[c0 : c0 + CHUNK].T


def run_fp32(qt, ct):
    return topk_torch(qt, ct, K, bf16_prefilter=False)


def run_bf16(qt, ct, stats=None):
    return topk_torch(qt, ct, K, bf16_prefilter=True, stats=stats)


@pytest.mark.parametrize("n", SIZES)
def test_bf16_prefilter_vs_sgemm(benchmark, n, same_threads):
    q, c = data(n)
    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    got = run_bf16(qt, ct)  # warm-up: compiles or loads the numba kernels
    want = run_fp32(qt, ct)
    assert torch.equal(got[1], want[1])
    assert torch.equal(got[0].view(torch.int32), want[0].view(torch.int32))
    stats: dict = {}  # the counts and stage seconds of the last round's bf16 call
    names = {
        "sgemm": run_sgemm,
        "fused_fp32": run_fp32,
        "bf16": lambda a, b: run_bf16(a, b, stats.clear() or stats),
    }
    times: dict[str, list[float]] = {name: [] for name in names}
    loads: list[float] = []

    def one_round() -> None:
        loads.append(os.getloadavg()[0])
        for name, fn in names.items():
            t = time.perf_counter()
            fn(qt, ct)
            times[name].append(time.perf_counter() - t)
        loads.append(os.getloadavg()[0])

    rounds = int(os.environ.get("BENCH_ROUNDS") or 2)
    benchmark.group = f"bf16 prefilter N={n}"
    benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=0)

    def vs_sgemm(name: str) -> float:
        return statistics.median(s / t for s, t in zip(times["sgemm"], times[name]))

    info = {
        "n": n,
        "nq": q.shape[0],
        "dim": q.shape[1],
        "k": K,
        "threads": same_threads,
        "bf16_capable": prefilter.bf16_capable(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "seconds": times,
        "load_1min": loads,
        "bf16_speedup_vs_sgemm": vs_sgemm("bf16"),
        "fused_fp32_vs_sgemm": vs_sgemm("fused_fp32"),
        "candidates_per_query": stats["candidates"] / stats["queries"],
        "fallback_fraction": stats["fallback_blocks"] / stats["chunk_blocks"],
        "bf16_stage_seconds": {k: round(v, 3) for k, v in stats.items() if k.startswith("s_")},
        "error_coefficient": prefilter.error_coefficient(q.shape[1]),
        "bit_identical": True,
    }
    benchmark.extra_info.update(info)
    print(json.dumps(info))
    assert np.isfinite(info["bf16_speedup_vs_sgemm"])
