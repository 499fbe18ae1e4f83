"""CUDA checks for issues 21.1 and 22.1 on a lent GPU (the CPU work had none to test on).

1. The NaN/inf rule (kernels/order.py) on the CUDA merges: d = 1 score matrices with injected
   +-inf, both NaN signs and signed zeros against the plain reference sort, bit for bit.
2. Can an exact bf16 prefilter be built on this GPU the way the CPU one is? It needs the fp32
   bits of a (query block x 16384-row chunk) cuBLAS product to be reproduced by a product of a
   row/column subset. Reported per shape; ``False`` means re-scoring would need the full-block
   call (or a kernel of our own with a fixed summation order).
3. Speed: chunked 1,000 x N x 384 products in fp32, TF32 and bf16 (fp32 out), CUDA-synchronised,
   median of 5; the ratio bf16/fp32 is the ceiling of a prefilter's speed-up (target >= 3x).

Run from the repo root: ``python3 scripts/gpu_prefilter_check.py`` (about a minute on an H200).
Writes ``$OUT/gpu_prefilter.json`` when ``OUT`` is set, else prints it. Exits 0 without CUDA.
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

from ir_harness.kernels.order import reference_topk  # noqa: E402
from ir_harness.kernels.topk import _mm_f32, topk_torch  # noqa: E402


def nan_rule() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    neg_nan = np.array([0xFFC00000], np.uint32).view(np.float32)[0]
    specials = np.array([np.inf, -np.inf, neg_nan, np.nan, -0.0, 0.0], np.float32)
    bad = 0
    cases = 0
    for _ in range(40):
        n = int(rng.choice([5, 64, 65, 700]))
        k = int(rng.choice([1, 3, n, n + 4]))
        c = rng.standard_normal(n).astype(np.float32)
        m = rng.random(n) < 0.2
        c[m] = rng.choice(specials, int(m.sum()))
        q = rng.choice(np.array([1.0, -1.0, 0.0], np.float32), (3, 1))
        with np.errstate(all="ignore"):
            scores = (q * c[None, :]).astype(np.float32)
        ws, wi = reference_topk(scores, k)
        for thr in (None, False):
            s, i = topk_torch(
                torch.from_numpy(q).cuda(),
                torch.from_numpy(c[:, None]).cuda(),
                k,
                corpus_chunk=64,
                use_threshold=thr,
            )
            cases += 1
            ok = np.array_equal(i.cpu().numpy(), wi) and np.array_equal(
                s.cpu().numpy().view(np.uint32), ws.view(np.uint32)
            )
            bad += not ok
    return {"cases": cases, "mismatches": bad}


def subset_reproduces() -> dict[str, bool]:
    g = torch.Generator(device="cuda").manual_seed(0)
    q = torch.randn(1024, 384, device="cuda", generator=g)
    d = torch.randn(16384, 384, device="cuda", generator=g)
    full = (q @ d.T).view(torch.int32)
    out = {}
    for m, n in ((1024, 2000), (64, 2000), (64, 300), (32, 32), (1024, 16383)):
        rows = torch.randperm(1024, device="cuda", generator=g)[:m].sort().values
        cols = torch.randperm(16384, device="cuda", generator=g)[:n].sort().values
        sub = (q[rows].contiguous() @ d[cols].T).view(torch.int32)
        out[f"{m}x{n}"] = bool((sub == full[rows][:, cols]).all())
    return out


def speed(n: int) -> dict[str, float]:
    q = torch.randn(1000, 384, device="cuda")
    c = torch.randn(n, 384, device="cuda")
    qb, cb = q.bfloat16(), c.bfloat16()

    def fp32() -> None:
        for c0 in range(0, n, 16384):
            q @ c[c0 : c0 + 16384].T

    def bf16() -> None:
        for c0 in range(0, n, 16384):
            _mm_f32(qb, cb[c0 : c0 + 16384].T)

    def tf32() -> None:
        prev = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = True
        fp32()
        torch.backends.cuda.matmul.allow_tf32 = prev

    res: dict[str, list[float]] = {"fp32": [], "tf32": [], "bf16": []}
    for fn in (fp32, tf32, bf16):
        fn()
    for _ in range(5):  # interleaved rounds
        for name, fn in (("fp32", fp32), ("tf32", tf32), ("bf16", bf16)):
            torch.cuda.synchronize()
            t = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            res[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in res.items()}
    return {
        **{f"{k}_s": v for k, v in med.items()},
        "bf16_vs_fp32": med["fp32"] / med["bf16"],
        "tf32_vs_fp32": med["fp32"] / med["tf32"],
    }


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 0
    report = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "nan_rule": nan_rule(),
        "subset_reproduces_full_block_bits": subset_reproduces(),
        "speed_1M": speed(1_000_000),
    }
    text = json.dumps(report, indent=1)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_prefilter.json").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
