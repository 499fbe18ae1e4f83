"""CUDA check for the exact top-k kernel: correctness against CPU, then timings and peak memory.

Run on a GPU machine from the repo root: ``python3 scripts/gpu_check.py`` (under 2 minutes on an
H100/H200). Writes ``$OUT/gpu_topk.json`` when ``OUT`` is set, else prints the JSON. On a
machine without CUDA it says so and exits 0. Timings: 1,000 queries x N in {100k, 1M}, d=384,
k=100, after warm-up, CUDA-synchronised, median of several repeats. Peak memory is
``torch.cuda.max_memory_allocated`` during a call minus what was allocated before it (the
corpus and queries), so it is the kernel's working memory alone.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ir_harness.kernels.topk import peak_extra_bytes, topk_torch  # noqa: E402

NQ, DIM, K = 1000, 384, 100
SIZES = (100_000, 1_000_000)
# (name, precision, corpus dtype held on the GPU, corpus_chunk, query_block)
VARIANTS = [
    ("fp32", "fp32", torch.float32, 16384, 1024),
    ("fp32-chunk32k", "fp32", torch.float32, 32768, 1024),  # over the 128 MB budget: info
    ("tf32", "tf32", torch.float32, 16384, 1024),
    ("bf16", "bf16", torch.bfloat16, 16384, 1024),
    ("fp16", "fp16", torch.float16, 16384, 1024),
]


def reference(q: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    scores = q.astype(np.float64) @ c.astype(np.float64).T
    idx = np.broadcast_to(np.arange(c.shape[0]), scores.shape)
    return np.lexsort((idx, -scores), axis=-1)[:, :k]


def check_correctness() -> dict[str, Any]:
    """Exact match on integer data (ties included), then CUDA vs CPU torch on float data."""
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    q = rng.integers(-4, 5, (64, 64)).astype(np.float32)
    c = rng.integers(-4, 5, (20_000, 64)).astype(np.float32)
    ref = reference(q, c, K)
    for prec in ("fp32", "tf32", "bf16", "fp16"):  # small integers are exact in every dtype
        _, i = topk_torch(torch.from_numpy(q).cuda(), torch.from_numpy(c).cuda(), K,
                          corpus_chunk=3000, query_block=24, precision=prec)  # fmt: skip
        out[f"int_exact_{prec}"] = bool((i.cpu().numpy() == ref).all())
    qf = torch.nn.functional.normalize(
        torch.randn(256, DIM, generator=torch.Generator().manual_seed(1)), dim=1
    )
    cf = torch.nn.functional.normalize(
        torch.randn(100_000, DIM, generator=torch.Generator().manual_seed(2)), dim=1
    )
    s_cpu, i_cpu = topk_torch(qf, cf, K)
    s_gpu, i_gpu = topk_torch(qf.cuda(), cf.cuda(), K)
    out["float_cpu_vs_cuda_index_agreement"] = float((i_gpu.cpu() == i_cpu).float().mean())
    out["float_cpu_vs_cuda_max_score_diff"] = float((s_gpu.cpu() - s_cpu).abs().max())
    return out


def recall(found: torch.Tensor, truth: torch.Tensor) -> float:
    hits = sum(len(set(a.tolist()) & set(b.tolist())) for a, b in zip(found, truth))
    return hits / truth.numel()


def time_call(fn: Any, repeats: int) -> tuple[list[float], Any]:
    fn()  # warm-up (allocator, cuBLAS heuristics)
    torch.cuda.synchronize()
    times, res = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        res = fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return times, res


def bench_size(n: int, repeats: int) -> dict[str, Any]:
    g = torch.Generator(device="cuda").manual_seed(n)
    corpus = torch.nn.functional.normalize(torch.randn(n, DIM, device="cuda", generator=g), dim=1)
    queries = torch.nn.functional.normalize(torch.randn(NQ, DIM, device="cuda", generator=g), dim=1)
    res: dict[str, Any] = {"n": n, "corpus_bytes_fp32": corpus.numel() * 4}
    truth = None
    for name, prec, cdt, chunk, qb in VARIANTS:
        c = corpus.to(cdt)
        q = queries.to(cdt)
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        times, (s, i) = time_call(
            lambda c=c, q=q, prec=prec, chunk=chunk, qb=qb: topk_torch(
                q, c, K, corpus_chunk=chunk, query_block=qb, precision=prec
            ),
            repeats,
        )
        peak = torch.cuda.max_memory_allocated() - base
        if truth is None:
            truth = i
        res[name] = {
            "median_ms": 1e3 * statistics.median(times),
            "min_ms": 1e3 * min(times),
            "peak_extra_mb": peak / 1e6,
            "bound_mb": peak_extra_bytes(qb, chunk, K, DIM) / 1e6,
            "recall_vs_fp32": recall(i.cpu(), truth.cpu()),
            "tflops": 2 * NQ * n * DIM / statistics.median(times) / 1e12,
        }
        del c, q, s, i
    # Lower bound on kernel cost: the chunked matrix products alone (no top-k, no merge).
    times, _ = time_call(
        lambda: [queries @ corpus[c0 : c0 + 16384].T for c0 in range(0, n, 16384)][-1], repeats
    )
    res["matmul_only_fp32_ms"] = 1e3 * statistics.median(times)
    # The naive Q x N approach (memory 4 * Q * N bytes) for perspective.
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    times, _ = time_call(lambda: torch.topk(queries @ corpus.T, K, dim=1), repeats)
    res["naive_full_matrix_ms"] = 1e3 * statistics.median(times)
    res["naive_full_matrix_peak_mb"] = (torch.cuda.max_memory_allocated() - base) / 1e6
    return res


def main() -> int:
    summary: dict[str, Any] = {"cuda": torch.cuda.is_available(), "torch": torch.__version__}
    if not summary["cuda"]:
        summary["note"] = "CUDA unavailable: nothing to check on this machine"
    else:
        t0 = time.perf_counter()
        summary["device"] = torch.cuda.get_device_name()
        summary["correctness"] = check_correctness()
        summary["sizes"] = [bench_size(n, repeats=5 if n <= 100_000 else 3) for n in SIZES]
        summary["wall_s"] = time.perf_counter() - t0
    text = json.dumps(summary, indent=2)
    out = os.environ.get("OUT")
    if out:
        Path(out, "gpu_topk.json").write_text(text)
    print(text)
    ok = not summary["cuda"] or all(
        v for k, v in summary["correctness"].items() if k.startswith("int_exact_fp32")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
