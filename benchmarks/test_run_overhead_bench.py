"""``harness run`` overhead over its parts: dense retrieval on a warm embedding cache (issue 16).

Each round, interleaved, two fresh processes with the same ``HARNESS_CACHE_DIR``:
``harness run --system dense --task TASK`` (results in a fresh folder, so nothing resumes),
and ``run_procs/dense_parts.py``, which does the same work with no runner (load, exact top-k,
evaluate), each part timed. ``extra_info.ratio`` = median of run wall / parts wall (target
<= 1.1), with the part seconds and the load average per round. An untimed first round fills
the embedding cache. Needs the packaged MiniLM model and the task's data
(``BENCH_RUN_TASK``, default ``limit-small``, under ``BENCH_RUN_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

import pytest

from benchmarks.test_eval_bench import run_process

HERE = Path(__file__).parent
TASK = os.environ.get("BENCH_RUN_TASK", "limit-small")
DATA = Path(os.environ.get("BENCH_RUN_DATA") or HERE.parent.parent / "shared" / "data")
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 3)


def test_run_overhead(benchmark, tmp_path: Path) -> None:
    if not (DATA / TASK).exists():
        pytest.skip(f"no data for {TASK} under {DATA}")
    cache = Path(os.environ.get("BENCH_RUN_CACHE") or tmp_path / "cache")
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "2"}
    harness = [
        sys.executable,
        "-c",
        "import sys; from ir_harness.cli import main; sys.exit(main())",
    ]
    parts_cmd = [sys.executable, str(HERE / "run_procs" / "dense_parts.py"), TASK, str(DATA)]
    n = [0]

    def run_cmd() -> list[str]:
        n[0] += 1
        out = tmp_path / f"results{n[0]}"
        args = ["run", "--system", "dense", "--task", TASK, "--data-dir", str(DATA)]
        return [*harness, *args, "--device", "cpu", "--results", str(out), "--json", "--quiet"]

    run_process(run_cmd(), env)  # untimed: fills the embedding and numba caches
    run_process(parts_cmd, env)
    rows: dict[str, list] = {"run_s": [], "parts_s": [], "parts": [], "load_1min": []}

    def one_round() -> None:
        rows["load_1min"].append(os.getloadavg()[0])
        wall, _, _, out = run_process(run_cmd(), env)
        rows["run_s"].append(round(wall, 2))
        wall, _, _, out = run_process(parts_cmd, env)
        rows["parts_s"].append(round(wall, 2))
        rows["parts"].append(json.loads(out.strip().splitlines()[-1]))

    benchmark.group = f"harness run dense {TASK}"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    ratio = statistics.median(a / b for a, b in zip(rows["run_s"], rows["parts_s"]))
    benchmark.extra_info.update(rows=rows, ratio=ratio)
    print(json.dumps({**rows, "ratio": ratio}))
