"""How fast this CPU's int8 GEMMs (through torch) run against the fp32 sgemm, at the top-k
prefilter's block shape (1,000 queries x a 16,384-row chunk x 384), one JSON line.

An int8 prefilter for exact top-k can be at most as fast as its int8 product; this measures
the product alone, before anything is built on it. Contenders, interleaved per round in one
process, each on the same shapes, its output block written each call:

* ``sgemm``: ``q @ chunk.T`` in fp32 (the fp32 top-k path's call);
* ``fbgemm_dynamic``: ``torch.ops.quantized.linear_dynamic`` (fp32 in, the input quantized to
  u8 per tensor inside, s8 weights per row, int32 accumulation, fp32 out; ``reduce_range``: 7-bit
  inputs, so AVX2's u8 x s8 pair sums into int16 cannot saturate);
* ``fbgemm_static``: ``torch.ops.quantized.linear`` on a pre-quantized u8 input (u8 out);
* ``onednn``: ``torch.ops.onednn.qlinear_pointwise`` (u8 x s8, fp32 out);
* ``int_mm``: ``torch._int_mm`` (s8 x s8 -> int32), once, at a sixteenth of the rows (slow), scaled up.

Runnable by hand: ``python -m benchmarks.int8_gemm_probe [ROUNDS] [CHUNKS]``;
``python -m benchmarks.int8_gemm_probe window [N]`` instead measures how many documents per
query a proven int8 bound would leave to re-score (:func:`candidate_window`).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def _time(f: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def contenders(nq: int, width: int, dim: int) -> dict[str, Callable[[], object]]:
    """The calls to time, each scoring ``nq`` queries against one ``width``-row chunk."""
    import torch

    warnings.filterwarnings("ignore")
    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(nq, dim, generator=g), dim=1)
    d = torch.nn.functional.normalize(torch.randn(width, dim, generator=g), dim=1)
    dscale = d.abs().amax(dim=1).double() / 127
    w = torch.quantize_per_channel(d, dscale, torch.zeros(width, dtype=torch.long), 0, torch.qint8)
    packed = torch.ops.quantized.linear_prepack(w, None)
    qscale = float(q.abs().max()) / 127
    xq = torch.quantize_per_tensor(q, qscale, 128, torch.quint8)
    di = torch.int_repr(w).contiguous()
    out: dict[str, Callable[[], object]] = {
        "sgemm": lambda: q @ d.T,
        "fbgemm_dynamic": lambda: torch.ops.quantized.linear_dynamic(q, packed, True),
        "fbgemm_static": lambda: torch.ops.quantized.linear(xq, packed, 1.0, 0),
    }
    try:
        ow = torch.ops.onednn.qlinear_prepack(di, [nq, dim])
        qu = torch.int_repr(xq).contiguous()
        ws = dscale.float()
        wz = torch.zeros(width, dtype=torch.long)
        out["onednn"] = lambda: torch.ops.onednn.qlinear_pointwise(
            qu, qscale, 128, ow, ws, wz, None, 1.0, 0, torch.float32, "none", [None], ""
        )
    except (RuntimeError, AttributeError):  # a torch without the oneDNN int8 ops
        pass
    return out


def main(
    rounds: int = 5, chunks: int = 4, nq: int = 1000, width: int = 16384, dim: int = 384
) -> dict[str, Any]:
    import torch

    calls = contenders(nq, width, dim)
    for f in calls.values():
        f()  # warm-up: packing, page faults of the first output block
    times: dict[str, list[float]] = {name: [] for name in calls}
    loads = []
    for r in range(rounds):
        order = list(calls)[r % len(calls) :] + list(calls)[: r % len(calls)]  # rotated
        loads.append(os.getloadavg()[0])
        for name in order:
            times[name].append(sum(_time(calls[name]) for _ in range(chunks)))
    g = torch.Generator().manual_seed(1)
    a = torch.randint(-127, 128, (nq // 16, dim), dtype=torch.int8, generator=g)
    b = torch.randint(-127, 128, (dim, width), dtype=torch.int8, generator=g)
    int_mm = _time(lambda: torch._int_mm(a, b)) * 16 * chunks
    ratios = {
        name: statistics.median(s / t for s, t in zip(times["sgemm"], ts))
        for name, ts in times.items()
        if name != "sgemm"
    }
    ratios["int_mm"] = statistics.median(times["sgemm"]) / int_mm
    return {
        "shape": [nq, width * chunks, dim],
        "threads": torch.get_num_threads(),
        "capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "seconds": times,
        "int_mm_seconds_estimate": int_mm,
        "speedup_vs_sgemm_median": ratios,
        "load_1min_per_round": loads,
    }


def candidate_window(
    n: int = 100_000, nq: int = 200, dim: int = 384, k: int = 100
) -> dict[str, Any]:
    """Candidates per query an int8 prefilter would re-score, on random unit vectors.

    Per-vector symmetric quantization (queries to 7 bits, as FBGEMM's AVX2 path needs, or 8;
    documents to 8), scores of the dequantized vectors in float64. A document can be in the
    fp32 top-k only if its int8 score is at least the k-th int8 score t minus the bound at the
    k-th place and its own, |q.d - q~.d~| <= ‖q - q~‖‖d‖ + ‖q~‖‖d - d~‖ (the fp32 rounding
    terms, ~5e-5, left out: they only widen the window).
    """
    import torch

    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(nq, dim, generator=g), dim=1).double()
    step = 100_000  # documents per float64 block: memory stays ~0.5 GB at any n
    docs = [
        torch.nn.functional.normalize(torch.randn(min(step, n - a), dim, generator=g), dim=1)
        for a in range(0, n, step)
    ]

    def rounded(x: torch.Tensor, levels: int) -> torch.Tensor:
        s = x.abs().amax(dim=1, keepdim=True) / levels
        return torch.round(x / s) * s

    def doc_block(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        xd = x.double()
        xt = rounded(xd, 127)
        return xt, (xd - xt).norm(dim=1)

    rd_max = max(float(doc_block(x)[1].max()) for x in docs)
    out: dict[str, Any] = {"n": n, "queries": nq, "k": k, "doc_residual_max": rd_max}
    for bits, levels in ((7, 63), (8, 127)):
        qt = rounded(q, levels)
        rq = (q - qt).norm(dim=1)
        qn = qt.norm(dim=1)
        best = torch.cat(
            [(qt @ doc_block(x)[0].T).topk(min(k, len(x)), dim=1).values for x in docs], 1
        )
        t = best.topk(k, dim=1).values[:, -1]
        worst = rq + qn * rd_max
        cand = torch.zeros(nq, dtype=torch.float64)
        wsum = torch.zeros(nq, dtype=torch.float64)
        for x in docs:
            xt, rd = doc_block(x)
            err = rq[:, None] + qn[:, None] * rd[None, :]  # ‖d‖ = 1
            cand += ((qt @ xt.T) >= (t - worst)[:, None] - err).sum(dim=1)
            wsum += err.sum(dim=1)
        out[f"query_{bits}bit"] = {
            "query_residual_mean": float(rq.mean()),
            "window_mean": float((worst + wsum / n).mean()),
            "candidates_per_query": float(cand.mean()),
        }
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["window"]:
        print(json.dumps(candidate_window(*(int(a) for a in sys.argv[2:3]))))
    else:
        print(json.dumps(main(*(int(a) for a in sys.argv[1:3]))))
