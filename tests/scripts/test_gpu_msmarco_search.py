"""scripts/gpu_msmarco_search.py, small and on the CPU: the script a GPU round runs at MS MARCO's
size must work before a GPU is lent (it has 15 minutes, no time for a broken script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_small_cpu_search_agrees_with_the_fp64_reference(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/gpu_msmarco_search.py", "--n", "5000", "--queries", "16",
         "--k", "50", "--device", "cpu", "--sample", "4"],
        cwd=ROOT, capture_output=True, text=True, check=True, env={"OUT": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    res = json.loads((tmp_path / "gpu_msmarco_search.json").read_text())
    assert res == json.loads(proc.stdout)
    check = res["fp32_check"]
    assert check["sampled_queries"] == 4
    assert check["differing_ids"] == check["differing_ids_within_fp32_band"]
    assert check["max_abs_score_diff_vs_fp64"] < 2 * 384 * 2.0**-24
    assert res["fp32"]["seconds"] > 0 and "bf16_inputs" not in res  # bf16 inputs need CUDA
