"""Exact top-k on CPU against the bar that matters: the plain chunked matrix product.

1,000 unit queries x N unit vectors (d=384), k=100, same threads everywhere. In this process:
``sgemm_chunked`` (the score blocks alone, same block sizes as the kernel, nothing selected),
``topk_torch`` (default: the fused numba selection), ``topk_torch_prefilter`` (the torch group
pre-filter, the default before issue 16.2's fused kernel), ``topk_torch_topk_merge``
(``use_threshold=False``: the CPU path before issue 16, a full ``torch.topk`` of every block) and ``exact_topk_auto`` (what
``systems/dense.py`` calls). FAISS ``knn`` runs in a process of its own (two OpenMP runtimes in
one process slow each other down). The figure that matters is ``paired N=...``:
``extra_info.throughput_vs_sgemm`` = median over interleaved rounds of t(sgemm) / t(top-k)
(1.0: selection costs nothing; target >= 0.85), with the load average beside each round.
Nothing is asserted on time. Run: ``.venv/bin/pytest benchmarks --benchmark-only``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from benchmarks.conftest import K, data, peak_rss_delta  # noqa: E402
from ir_harness.kernels.topk import exact_topk, peak_extra_bytes, topk_torch  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
CHUNK, QBLOCK = 16384, 1024  # topk_torch's defaults


def rounds(n: int) -> int:
    """A 1M run takes tens of seconds per call on 2 cores: fewer rounds there."""
    return int(os.environ.get("BENCH_ROUNDS") or (3 if n <= 100_000 else 1))


def run_sgemm(q, c):
    """The matrix-multiply limit: every score block computed, nothing selected."""
    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    for q0 in range(0, qt.shape[0], QBLOCK):
        for c0 in range(0, ct.shape[0], CHUNK):
            qt[q0 : q0 + QBLOCK] @ ct[c0 : c0 + CHUNK].T


def run_sgemm_out(q, c):
    """The same products written into one reused buffer, as the fused kernel does."""
    qt, ct = torch.from_numpy(q), torch.from_numpy(c)
    buf = torch.empty(min(QBLOCK, qt.shape[0]) * min(CHUNK, ct.shape[0]))
    for q0 in range(0, qt.shape[0], QBLOCK):
        qb = qt[q0 : q0 + QBLOCK]
        for c0 in range(0, ct.shape[0], CHUNK):
            cb = ct[c0 : c0 + CHUNK]
            torch.mm(qb, cb.T, out=buf[: qb.shape[0] * cb.shape[0]].view(qb.shape[0], -1))


def run_torch(q, c):
    """The fused fp32 kernel (the bf16 prefilter, on by default on bf16 CPUs, has its own
    benchmark: test_topk_bf16_bench.py)."""
    return topk_torch(torch.from_numpy(q), torch.from_numpy(c), K, bf16_prefilter=False)


def run_prefilter(q, c):
    return topk_torch(torch.from_numpy(q), torch.from_numpy(c), K, cpu_merge="prefilter")


def run_topk_merge(q, c):
    return topk_torch(torch.from_numpy(q), torch.from_numpy(c), K, use_threshold=False)


def run_auto(q, c):
    return exact_topk(q, c, K, backend="auto")


CASES = {
    "sgemm_chunked": run_sgemm,
    "topk_torch": run_torch,
    "topk_torch_prefilter": run_prefilter,
    "topk_torch_topk_merge": run_topk_merge,
    "exact_topk_auto": run_auto,
}


@pytest.mark.parametrize("impl", list(CASES))
@pytest.mark.parametrize("n", SIZES)
def test_exact_topk(benchmark, n, impl, same_threads):
    q, c = data(n)
    fn = CASES[impl]
    benchmark.group = f"topk N={n}"
    benchmark.extra_info.update(
        n=n,
        threads=same_threads,
        corpus_mb=c.nbytes / 1e6,
        extra_rss_mb=peak_rss_delta(lambda: fn(q, c)) / 1e6,  # one untimed call, also warm-up
        bound_mb=peak_extra_bytes() / 1e6 if impl == "topk_torch" else None,
        load_1min=os.getloadavg()[0],
    )
    benchmark.pedantic(fn, args=(q, c), rounds=rounds(n), iterations=1)


@pytest.mark.parametrize("n", SIZES)
def test_paired_ratio(benchmark, n, same_threads):
    """Alternate both sgemm baselines, the fused kernel (default), the pre-filter and the topk
    merge (the two earlier CPU paths) within each round."""
    q, c = data(n)
    names = {
        "sgemm": run_sgemm,
        "sgemm_out": run_sgemm_out,
        "fused": run_torch,
        "prefilter": run_prefilter,
        "topk_merge": run_topk_merge,
    }
    times: dict[str, list[float]] = {name: [] for name in names}
    loads: list[float] = []
    # The first call also imports numba and loads the compiled selection (a one-off per
    # process, reported apart); the kernel's working memory is that of a warm call.
    first = peak_rss_delta(lambda: run_torch(q, c)) / 1e6
    extra = peak_rss_delta(lambda: run_torch(q, c)) / 1e6

    def one_round() -> None:
        loads.append(os.getloadavg()[0])
        for name, fn in names.items():
            t = time.perf_counter()
            fn(q, c)
            times[name].append(time.perf_counter() - t)

    benchmark.group = f"paired N={n}"
    benchmark.pedantic(one_round, rounds=rounds(n), iterations=1, warmup_rounds=0)

    def vs_sgemm(name: str) -> float:
        return statistics.median(s / t for s, t in zip(times["sgemm"], times[name]))

    info = {
        "n": n,
        "threads": same_threads,
        "seconds": times,
        "load_1min": loads,
        "throughput_vs_sgemm": vs_sgemm("fused"),
        "fused_vs_sgemm_out": statistics.median(
            s / t for s, t in zip(times["sgemm_out"], times["fused"])
        ),
        "prefilter_throughput_vs_sgemm": vs_sgemm("prefilter"),
        "topk_merge_throughput_vs_sgemm": vs_sgemm("topk_merge"),
        "extra_rss_mb": extra,
        "extra_rss_first_call_mb": first,
    }
    benchmark.extra_info.update(info)
    print(json.dumps(info))


@pytest.mark.parametrize("n", SIZES)
def test_faiss_own_process(benchmark, n, same_threads):
    """FAISS ``knn`` timed inside a fresh process; extra_info.faiss_s holds its calls."""
    pytest.importorskip("faiss")
    root = Path(__file__).parent.parent
    script = Path(__file__).parent / "topk_procs" / "faiss_knn.py"
    cmd = [sys.executable, str(script), str(n), str(rounds(n)), str(same_threads)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    result: dict[str, object] = {}

    def once() -> None:
        result.update(
            json.loads(subprocess.run(cmd, env=env, capture_output=True, check=True).stdout)
        )

    benchmark.group = f"faiss N={n} (own process, whole process timed)"
    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    print(json.dumps(result))
