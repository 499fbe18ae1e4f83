"""Dense corpus encoding: the harness's path against plain ``SentenceTransformer.encode``.

Each contender is a fresh process (``benchmarks/encode_procs/encode.py``: the packaged
all-MiniLM-L6-v2 on CPU, batch size 64, the first ``BENCH_ENCODE_N`` TREC DL judged passages),
interleaved round by round, the order rotated each round, so the machine's load hits all
alike:

- ``st``: ``SentenceTransformer.encode`` on the whole list (the anchor);
- ``ours``: ``DenseRetriever.index`` with a fresh embedding cache (fp32, the default);
- ``ours_bf16``: the same with ``precision="bf16"`` (``-o dense.precision=bf16``).

``extra_info``: per-round encode seconds and load average, and the median over rounds of
t(st) / t(contender) (throughput relative to sentence-transformers; >= 1.0 is the target for
``ours``), plus the largest difference between our fp32 and bf16 vectors and ST's in the first
round. Nothing is asserted on time. Run:
``BENCH_ENCODE_N=5000 BENCH_ROUNDS=3 .venv/bin/pytest benchmarks/test_encode_bench.py --benchmark-only -s``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")

HERE = Path(__file__).parent
REPO = HERE.parent
N = int(os.environ.get("BENCH_ENCODE_N") or 20000)
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 3)
CONTENDERS = {"st": ("st", "fp32"), "ours": ("ours", "fp32"), "ours_bf16": ("ours", "bf16")}
if os.environ.get("BENCH_ENCODE_CONTENDERS"):  # e.g. "st,ours": the ratio's pair only
    CONTENDERS = {
        k: CONTENDERS[k]
        for k in os.environ["BENCH_ENCODE_CONTENDERS"].split(",")
        if k in CONTENDERS
    }


def encode_process(
    mode: str, arg: str, save: str = "", n: int = N, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One contender in a fresh process (``encode_procs/encode.py MODE N ARG [SAVE]``): its
    ``ENCODE_RESULT`` JSON. The checkout's own package comes first on the path (a worktree
    beside another editable install); ``env`` adds variables."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "harness"), str(REPO)]),
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    cmd = [sys.executable, str(HERE / "encode_procs" / "encode.py"), mode, str(n), arg]
    out = subprocess.run(
        [*cmd, *([save] if save else [])],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("ENCODE_RESULT ")]
    if out.returncode or not lines:
        raise RuntimeError(f"{cmd[2:]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("ENCODE_RESULT "))  # type: ignore[no-any-return]


def test_encode_processes(benchmark: Any, tmp_path: Path) -> None:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    first = {"done": False}

    names = list(CONTENDERS)
    turn = {"r": 0}

    def one_round() -> None:
        r = turn["r"]  # each round starts with the next contender: load drift hits all alike
        for name in names[r % len(names) :] + names[: r % len(names)]:
            mode, precision = CONTENDERS[name]
            save = "" if first["done"] else str(tmp_path / f"{name}.npy")
            rows[name].append(encode_process(mode, precision, save))
        first["done"] = True
        turn["r"] += 1

    benchmark.group = f"encode {N} passages"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    st = [r["encode_s"] for r in rows["st"]]
    ratios = {
        f"{name}_throughput_vs_st": round(
            statistics.median(a / b["encode_s"] for a, b in zip(st, rows[name])), 3
        )
        for name in CONTENDERS
        if name != "st"
    }
    ref = np.load(tmp_path / "st.npy")
    diffs = {}
    for name in [c for c in ("ours", "ours_bf16") if c in CONTENDERS]:
        v = np.load(tmp_path / f"{name}.npy")
        assert v.shape == ref.shape
        diffs[f"{name}_max_abs_diff_vs_st"] = float(np.abs(v - ref).max())
        diffs[f"{name}_min_cosine_vs_st"] = float((v * ref).sum(1).min())
    info = {
        "n": N,
        "encode_s": {k: [r["encode_s"] for r in v] for k, v in rows.items()},
        "docs_per_s": {k: [r["docs_per_s"] for r in v] for k, v in rows.items()},
        "load_1min": [r["load_1min"] for r in rows["st"]],
        "threads": rows["st"][0]["threads"],
        **ratios,
        **diffs,
    }
    benchmark.extra_info.update(info)
    print(json.dumps(info, indent=1))
    if "ours" in CONTENDERS:
        assert diffs["ours_max_abs_diff_vs_st"] < 1e-4  # fp32: the same vectors up to padding noise
