"""Scale: synthetic/<N> through the corpus store, the corpus embedding cache and streaming top-k.

Each case runs ``benchmarks/scale_probe.py`` in a fresh process (so peak memory is that run's
alone) and stores its JSON in ``extra_info``: per-stage seconds and peak RssAnon (resident
memory beyond memory-mapped files), the run file's sha256 (local and Ray must agree), store vs
in-memory throughput ratios, and the load average before and after (the machine is shared).
Nothing is asserted on time. Sizes: ``SCALE_SIZES`` (default ``100000``; the README table also
has ``1000000``, about 25 minutes on 2 shared cores). Run:
``SCALE_SIZES=100000,1000000 .venv/bin/pytest benchmarks/test_scale_bench.py --benchmark-only -s``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SIZES = [int(s) for s in (os.environ.get("SCALE_SIZES") or "100000").split(",")]
REPO = Path(__file__).resolve().parent.parent
_RUNS: dict[tuple[int, str], dict[str, Any]] = {}


def probe(*args: str) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_probe", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("SCALE_RESULT ")]
    if out.returncode or not lines:
        raise RuntimeError(f"scale_probe {args} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("SCALE_RESULT "))  # type: ignore[no-any-return]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_scale_run(benchmark: Any, n: int, executor: str) -> None:
    if executor == "ray":
        pytest.importorskip("ray")
    res = benchmark.pedantic(lambda: probe("run", str(n), executor), rounds=1, iterations=1)
    _RUNS[(n, executor)] = res
    benchmark.extra_info.update(res)
    print(json.dumps(res))
    other = _RUNS.get((n, "local"))
    if executor == "ray" and other:
        benchmark.extra_info["ray_over_local_total"] = round(res["total_s"] / other["total_s"], 3)
        assert res["run_sha256"] == other["run_sha256"], "Ray and local run files differ"


@pytest.mark.parametrize("n", SIZES)
def test_scale_throughput(benchmark: Any, n: int) -> None:
    res = benchmark.pedantic(lambda: probe("throughput", str(n)), rounds=1, iterations=1)
    benchmark.extra_info.update(res)
    print(json.dumps(res))
    assert res["topk_identical"]


PAIRED_ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 2)


@pytest.mark.parametrize("n", SIZES)
def test_ray_over_local_paired(benchmark: Any, n: int) -> None:
    """Local then Ray, each a fresh process with a fresh corpus embedding cache, round after round
    (interleaved, so the machine's load hits both alike); per-stage ratios per round and their
    medians. Run files must be byte-identical."""
    pytest.importorskip("ray")
    rounds: list[dict[str, Any]] = []

    def one_round() -> None:
        local = probe("run", str(n), "local")
        remote = probe("run", str(n), "ray")
        assert remote["run_sha256"] == local["run_sha256"], "Ray and local run files differ"
        row: dict[str, Any] = {"local": local, "ray": remote}
        for stage in ("encode", "search"):
            row[f"{stage}_ratio"] = round(
                remote["stages"][stage]["seconds"] / local["stages"][stage]["seconds"], 3
            )
        es = ("encode", "search")
        row["encode_search_ratio"] = round(
            sum(remote["stages"][s]["seconds"] for s in es)
            / sum(local["stages"][s]["seconds"] for s in es),
            3,
        )
        row["total_ratio"] = round(remote["total_s"] / local["total_s"], 3)
        rounds.append(row)

    benchmark.group = f"ray vs local N={n}"
    benchmark.pedantic(one_round, rounds=PAIRED_ROUNDS, iterations=1, warmup_rounds=0)
    keys = ("encode_ratio", "search_ratio", "encode_search_ratio", "total_ratio")
    summary = {k: round(statistics.median(r[k] for r in rounds), 3) for k in keys}
    per_round = [
        {
            **{k: r[k] for k in keys},
            **{
                f"{ex}_{s}_s": r[ex]["stages"][s]["seconds"]
                for ex in ("local", "ray")
                for s in ("load", "encode", "search", "evaluate")
            },
            "ray_stats": r["ray"]["stats"],
            "load_before": r["local"]["loadavg_before"][0],
            "load_after": r["ray"]["loadavg_after"][0],
        }
        for r in rounds
    ]
    benchmark.extra_info.update(median=summary, rounds=per_round)
    print(json.dumps({"n": n, "median": summary, "rounds": per_round}, indent=1))
