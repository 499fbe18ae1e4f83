"""``harness trec-eval -m all_trec -q`` against a compiled trec_eval 10.0 on a 5,000 x 1,000
run (:mod:`benchmarks.eval_data`, three-decimal scores with many ties; its BEIR qrels written
out as TREC qrels).

``TREC_EVAL_BIN`` names the trec_eval binary (built outside this repository); without it the
benchmark skips. Each contender is a fresh process (wall time and peak RSS from
``os.wait4``), interleaved round by round, with the 1-minute load average before each round.
The outputs must be identical bytes (checked untimed). CPU seconds (user + system, also
from ``os.wait4``) are recorded beside wall time: on a shared, loaded machine they are the
steadier comparison. ``BENCH_REFERENCE=1`` adds the pure-Python reference engine as a third
contender (slow: about 30 s a run). Target: harness <= 0.5x trec_eval's wall time. Run:
``TREC_EVAL_BIN=... .venv/bin/pytest benchmarks/test_trec_eval_bench.py --benchmark-only -s``.
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

from benchmarks.eval_data import NAME, build

BIN = os.environ.get("TREC_EVAL_BIN")
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 3)
pytestmark = pytest.mark.skipif(not BIN, reason="TREC_EVAL_BIN does not name a trec_eval binary")


@pytest.fixture(scope="session")
def bench_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = Path(os.environ.get("BENCH_EVAL_DIR") or tmp_path_factory.mktemp("trecevalbench"))
    run = build(root)
    qrels = root / "qrels.trec"
    if not qrels.exists():
        tsv = (root / NAME / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
        rows = (line.split("\t") for line in tsv)
        qrels.write_text("".join(f"{q} 0 {d} {s}\n" for q, d, s in rows), encoding="utf-8")
    return qrels, run


def run_process(cmd: list[str]) -> tuple[float, float, float, bytes]:
    """(wall seconds, peak RSS in MB, CPU seconds, stdout) of one fresh process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read() if p.stdout else b""
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{cmd[:3]} exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out


def test_trec_eval_all_trec_processes(benchmark, bench_files: tuple[Path, Path]) -> None:
    assert BIN is not None
    qrels, run = (str(p) for p in bench_files)
    harness = [
        sys.executable,
        "-c",
        "import sys; from ir_harness.cli import main; sys.exit(main())",
    ]
    procs = {
        "harness": [*harness, "trec-eval", "-m", "all_trec", "-q", qrels, run],
        "trec_eval": [BIN, "-m", "all_trec", "-q", qrels, run],
    }
    if os.environ.get("BENCH_REFERENCE") == "1":
        code = (
            "import sys; from ir_harness.trec_eval.main import run_command; "
            "out = sys.stdout.buffer; sys.exit(run_command(sys.argv[1:], "
            "lambda t: out.write(t.encode('latin-1')), sys.stderr.write, fast=False))"
        )
        procs["reference"] = [sys.executable, "-c", code, "-m", "all_trec", "-q", qrels, run]
    outs = {name: run_process(cmd)[3] for name, cmd in procs.items()}  # warm-up and check
    assert all(out == outs["trec_eval"] for out in outs.values())
    rows: dict[str, dict[str, list[float]]] = {
        n: {"wall_s": [], "rss_mb": [], "cpu_s": []} for n in procs
    }
    loads: list[float] = []

    def one_round() -> None:
        loads.append(os.getloadavg()[0])
        for name, cmd in procs.items():
            wall, rss, cpu, _ = run_process(cmd)
            rows[name]["wall_s"].append(round(wall, 2))
            rows[name]["rss_mb"].append(round(rss))
            rows[name]["cpu_s"].append(round(cpu, 2))

    benchmark.group = "trec-eval all_trec -q 5000x1000"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    h, t = rows["harness"], rows["trec_eval"]
    ratios = {
        "wall": statistics.median(a / b for a, b in zip(h["wall_s"], t["wall_s"], strict=True)),
        "rss": statistics.median(a / b for a, b in zip(h["rss_mb"], t["rss_mb"], strict=True)),
        "cpu": statistics.median(a / b for a, b in zip(h["cpu_s"], t["cpu_s"], strict=True)),
    }
    benchmark.extra_info.update(rows=rows, load_1min=loads, ratios=ratios)
    print(json.dumps({"rows": rows, "load_1min": loads, "harness/trec_eval": ratios}, indent=1))
