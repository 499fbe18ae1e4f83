"""Dense corpus encoding through ONNX Runtime against plain ``SentenceTransformer.encode``.

The contenders of ``test_encode_bench.py`` (one fresh process each, ``encode_procs/encode.py``,
the packaged all-MiniLM-L6-v2 on CPU, batch size 64, the first ``BENCH_ENCODE_N`` TREC DL judged
passages), interleaved round by round with the order rotated:

- ``st``: ``SentenceTransformer.encode`` (the anchor);
- ``ours``: ``DenseRetriever.index``, torch backend (fp32);
- ``onnx``: the same with ``-o dense.backend=onnx`` (fp32);
- ``onnx_int8``: ``-o dense.backend=onnx-int8`` (int8 dynamic quantisation).

The ONNX files are exported once, before the first round, into a folder every process shares
(``BENCH_ONNX_DIR``), so no round times an export. ``extra_info``: per-round seconds and load
average, the median over rounds of t(st) / t(contender), and each contender's largest difference
from ST's vectors (round 1). Nothing is asserted on time. Run:
``BENCH_ENCODE_N=20000 BENCH_ROUNDS=2 .venv/bin/pytest benchmarks/test_encode_onnx_bench.py --benchmark-only -s``.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("onnxruntime")

from benchmarks.test_encode_bench import encode_process as shared_encode_process  # noqa: E402

HERE = Path(__file__).parent
REPO = HERE.parent
N = int(os.environ.get("BENCH_ENCODE_N") or 20000)
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 2)
CONTENDERS = {
    "st": ("st", "fp32"),
    "ours": ("ours", "fp32"),
    "onnx": ("ours", "onnx"),
    "onnx_int8": ("ours", "onnx-int8"),
}
if os.environ.get("BENCH_ENCODE_CONTENDERS"):  # e.g. "st,onnx": the ratio's pair only
    CONTENDERS = {
        k: CONTENDERS[k]
        for k in os.environ["BENCH_ENCODE_CONTENDERS"].split(",")
        if k in CONTENDERS
    }


def encode_process(mode: str, arg: str, n: int, onnx_dir: Path, save: str = "") -> dict[str, Any]:
    """test_encode_bench's contender process, with the shared folder of exported models."""
    return shared_encode_process(mode, arg, save, n=n, env={"BENCH_ONNX_DIR": str(onnx_dir)})


def test_encode_onnx_processes(benchmark: Any, tmp_path: Path) -> None:
    onnx_dir = tmp_path / "onnx"
    onnx_dir.mkdir()
    for mode, arg in CONTENDERS.values():  # exports (untimed): one tiny run per backend
        if arg.startswith("onnx"):
            encode_process(mode, arg, 64, onnx_dir)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    turn = {"r": 0}

    def one_round() -> None:
        r = turn["r"]  # each round starts with the next contender: load drift hits all alike
        for name in names[r % len(names) :] + names[: r % len(names)]:
            mode, arg = CONTENDERS[name]
            save = str(tmp_path / f"{name}.npy") if r == 0 else ""
            rows[name].append(encode_process(mode, arg, N, onnx_dir, save))
        turn["r"] += 1

    benchmark.group = f"encode {N} passages (onnx)"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    info: dict[str, Any] = {
        "n": N,
        "encode_s": {k: [r["encode_s"] for r in v] for k, v in rows.items()},
        "docs_per_s": {k: [r["docs_per_s"] for r in v] for k, v in rows.items()},
        "load_1min": {k: [r["load_1min"] for r in v] for k, v in rows.items()},
        "threads": next(iter(rows.values()))[0]["threads"],
    }
    if "st" in rows:
        st = [r["encode_s"] for r in rows["st"]]
        ref = np.load(tmp_path / "st.npy")
        for name in [c for c in CONTENDERS if c != "st"]:
            info[f"{name}_throughput_vs_st"] = round(
                statistics.median(a / b["encode_s"] for a, b in zip(st, rows[name])), 3
            )
            v = np.load(tmp_path / f"{name}.npy")
            assert v.shape == ref.shape
            info[f"{name}_max_abs_diff_vs_st"] = float(np.abs(v - ref).max())
            info[f"{name}_min_cosine_vs_st"] = float((v * ref).sum(1).min())
        if "onnx" in CONTENDERS:
            assert info["onnx_max_abs_diff_vs_st"] < 1e-4  # fp32: the same vectors
    benchmark.extra_info.update(info)
    print(json.dumps(info, indent=1))
