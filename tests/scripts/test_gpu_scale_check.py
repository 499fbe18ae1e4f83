"""scripts/gpu_scale_check.py runs end to end on a CPU at small N (the GPU run uses N = 1M)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_small_cpu_run(tmp_path: Path, shared_data: Path) -> None:
    """One run covers both paths: the local store encode, then Ray's (``--no-ray`` only drops
    the second)."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("ray")
    out = tmp_path / "out.json"
    cmd = [
        sys.executable,
        str(REPO / "scripts" / "gpu_scale_check.py"),
        "--n",
        "256",
        "--device",
        "cpu",
        "--batch-size",
        "64",
        "--workers",
        "1",
        "--data",
        str(shared_data),
        "--scratch",
        str(tmp_path / "s"),
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900)
    res = json.loads(out.read_text())
    assert res["n"] == 256 and res["plain_texts_per_s"] > 0 and res["store_texts_per_s"] > 0
    assert res["max_abs_diff_store_vs_plain"] < 1e-4  # same model, same texts
    assert res["ray_shards_identical_to_local"] is True
