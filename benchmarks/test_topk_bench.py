"""Exact top-k speed and memory: FAISS ``knn`` baseline against our kernels, same threads.

1,000 unit queries x N unit vectors (d=384), k=100. Groups per N compare raw ``faiss.knn``
(the baseline), ``exact_topk(backend="auto")`` and the torch path (CPU). Read the ratio of
means within one group of one run; the ``paired`` benchmark alternates FAISS and torch calls
and records the median per-pair ratio, which survives a noisy shared machine better.
Nothing is asserted on time. Run: ``.venv/bin/pytest benchmarks --benchmark-only``.
"""

from __future__ import annotations

import os
import statistics
import time

import pytest

faiss = pytest.importorskip("faiss")
torch = pytest.importorskip("torch")

from benchmarks.conftest import K, data, peak_rss_delta  # noqa: E402
from kernels.topk import exact_topk, peak_extra_bytes, topk_torch  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]


def rounds(n: int) -> int:
    """A 1M run takes tens of seconds per call on 2 cores: fewer rounds there."""
    return int(os.environ.get("BENCH_ROUNDS") or (3 if n <= 100_000 else 1))


def run_faiss(q, c):
    return faiss.knn(q, c, K, metric=faiss.METRIC_INNER_PRODUCT)


def run_auto(q, c):
    return exact_topk(q, c, K, backend="auto")


def run_torch(q, c):
    return topk_torch(torch.from_numpy(q), torch.from_numpy(c), K)


CASES = {"faiss_knn": run_faiss, "exact_topk_auto": run_auto, "topk_torch_cpu": run_torch}


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
        bound_mb=peak_extra_bytes() / 1e6 if impl == "topk_torch_cpu" else None,
    )
    benchmark.pedantic(fn, args=(q, c), rounds=rounds(n), iterations=1)


@pytest.mark.parametrize("n", SIZES)
def test_paired_ratio(benchmark, n, same_threads):
    """Alternate FAISS and torch; extra_info.ratio_torch_over_faiss < 1 means ours is faster."""
    q, c = data(n)
    times: dict[str, list[float]] = {"faiss": [], "torch": []}

    def pair() -> None:
        for name, fn in (("faiss", run_faiss), ("torch", run_torch)):
            t = time.perf_counter()
            fn(q, c)
            times[name].append(time.perf_counter() - t)

    benchmark.group = f"paired N={n}"
    benchmark.pedantic(pair, rounds=rounds(n), iterations=1, warmup_rounds=0)
    ratios = [t / f for t, f in zip(times["torch"], times["faiss"])]
    benchmark.extra_info.update(
        n=n,
        threads=same_threads,
        faiss_s=times["faiss"],
        torch_s=times["torch"],
        ratio_torch_over_faiss=statistics.median(ratios),
    )
