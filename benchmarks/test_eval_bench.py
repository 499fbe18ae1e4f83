"""Scoring a 5,000 x 1,000 TREC run: ``harness eval`` against pytrec_eval and ranx alone.

Each contender runs as a fresh process (wall time and peak RSS of the whole process, from
``os.wait4``), interleaved round by round so machine load hits all alike; the machine's load
average is recorded beside each round. Data: :mod:`benchmarks.eval_data` (BEIR layout, 50k
passages, five metrics, three-decimal scores with ties). ``BENCH_BEFORE_ROOT`` may name a
checkout of older code (e.g. ``git archive main | tar -x -C /tmp/before``): its ``harness eval``
then joins the rounds as ``harness_before``. Nothing is asserted on time; the per-query
agreement with pytrec_eval is asserted (1e-6) in an untimed check.
``BENCH_CONTENDERS=harness`` keeps only the named contenders (pytrec_eval, the baseline, always
runs). ``TREC_EVAL_BIN`` names a trec_eval binary (10.0, built with its own Makefile from a
copy of its source outside the repository): it joins as ``trec_eval`` and the harness rows get
ratios against it; ``harness_qrels`` is ``harness eval --qrels`` with no task. Run: ``.venv/bin/pytest benchmarks/test_eval_bench.py --benchmark-only -s``.
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

from benchmarks.eval_data import TASK, build

pytest.importorskip("pytrec_eval")

HERE = Path(__file__).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 3)
TIME_BIN = "/usr/bin/time"


@pytest.fixture(scope="session")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(os.environ.get("BENCH_EVAL_DIR") or tmp_path_factory.mktemp("evalbench"))
    build(root)
    return root


def run_process(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall seconds, peak RSS in MB, CPU seconds user + system, stdout) of one fresh process.

    CPU time is kept beside wall time because on a machine loaded far beyond its cores the
    wall time mostly measures the scheduler.

    It runs in a neutral folder: ``python -c`` puts the working directory first on sys.path,
    which would shadow ``BENCH_BEFORE_ROOT`` with this checkout's code.

    Peak RSS comes from ``/usr/bin/time`` where it exists: Linux carries a process's RSS high-water
    mark across fork and exec, so ``wait4`` on a child of this (large) pytest process reports at
    least this process's own peak; ``time`` is small, and its child's mark is the contender's.
    """
    wrap = [TIME_BIN, "-f", "%M"] if os.path.exists(TIME_BIN) else []
    t = time.perf_counter()
    p = subprocess.Popen(
        [*wrap, *cmd], env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = p.stdout.read().decode() if p.stdout else ""
    err = (p.stderr.read().decode(errors="replace") if p.stderr else "").strip().splitlines()
    _, status, usage = os.wait4(p.pid, 0)  # CPU: the child's own plus what it waited for
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError(f"{cmd[:3]} exited {p.returncode}")
    rss_mb = int(err[-1]) / 1024 if wrap and err and err[-1].isdigit() else usage.ru_maxrss / 1024
    return wall, rss_mb, usage.ru_utime + usage.ru_stime, out


def contenders(root: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    run, qrels = str(root / "run.trec"), str(root / "scifact" / "qrels" / "test.tsv")
    env = {**os.environ, "HARNESS_CACHE_DIR": str(root / "cache"), "OMP_NUM_THREADS": "2"}
    env.pop("NUMBA_CACHE_DIR", None)  # harness eval sets its own under the cache
    harness = [
        sys.executable,
        "-c",
        "import sys; from ir_harness.cli import main; sys.exit(main())",
    ]
    args = ["eval", run, "--task", TASK, "--data-dir", str(root), "--json"]
    out = {
        "harness": ([*harness, *args], env),
        "pytrec_eval": ([sys.executable, str(HERE / "eval_procs" / "pytrec.py"), run, qrels], env),
        "ranx_alone": (
            [sys.executable, str(HERE / "eval_procs" / "ranx_alone.py"), run, qrels],
            {**env, "NUMBA_CACHE_DIR": str(root / "cache" / "numba")},
        ),
    }
    trec_qrels = root / "qrels.trec"  # trec_eval and --qrels read TREC qrels, not BEIR's TSV
    if not trec_qrels.exists():
        lines = Path(qrels).read_text(encoding="utf-8").splitlines()[1:]
        trec_qrels.write_text(
            "".join(f"{q} 0 {d} {g}\n" for q, d, g in (ln.split("\t") for ln in lines))
        )
    out["harness_qrels"] = (
        [*harness, "eval", run, "--qrels", str(trec_qrels), "--json",
         "-m", "ndcg@10", "-m", "recall@100", "-m", "recall@1000", "-m", "map@100", "-m", "mrr"],
        env,
    )  # fmt: skip
    trec_eval = os.environ.get("TREC_EVAL_BIN")  # trec_eval 10.0 built from its own Makefile
    if trec_eval:
        measures = ["ndcg_cut.10", "recall.100,1000", "map_cut.100", "recip_rank"]
        out["trec_eval"] = (
            [trec_eval, "-c", *(a for m in measures for a in ("-m", m)), str(trec_qrels), run],
            env,
        )
    before = os.environ.get("BENCH_BEFORE_ROOT")
    if before:
        old_env = {**env, "PYTHONPATH": before, "HARNESS_CACHE_DIR": str(root / "cache_before")}
        out["harness_before"] = ([*harness, *args], old_env)
    only = os.environ.get("BENCH_CONTENDERS")  # e.g. "harness,pytrec_eval" (the ratio's pair)
    if only:
        keep = {"pytrec_eval", *only.split(",")}
        out = {name: v for name, v in out.items() if name in keep}
    return out


def test_eval_processes(benchmark, bench_dir: Path) -> None:
    """Interleaved rounds; extra_info holds per-round wall/RSS/load and median ratios."""
    procs = contenders(bench_dir)
    for cmd, env in procs.values():  # untimed warm-up: file cache, numba caches
        run_process(cmd, env)
    rows: dict[str, dict[str, list[float]]] = {
        n: {"wall_s": [], "rss_mb": [], "cpu_s": []} for n in procs
    }
    loads: list[float] = []

    def one_round() -> None:
        loads.append(os.getloadavg()[0])
        for name, (cmd, env) in procs.items():
            wall, rss, cpu, _ = run_process(cmd, env)
            rows[name]["wall_s"].append(round(wall, 2))
            rows[name]["rss_mb"].append(round(rss))
            rows[name]["cpu_s"].append(round(cpu, 2))

    benchmark.group = "eval 5000x1000"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    base = rows["pytrec_eval"]
    if "trec_eval" in rows:  # the targets: <= 0.25x trec_eval's wall, <= 1.0x its memory
        te = rows["trec_eval"]
        benchmark.extra_info["vs_trec_eval"] = {
            name: {
                "wall": statistics.median(a / b for a, b in zip(r["wall_s"], te["wall_s"])),
                "rss": statistics.median(a / b for a, b in zip(r["rss_mb"], te["rss_mb"])),
            }
            for name, r in rows.items()
            if name.startswith("harness")
        }
    ratios = {
        f"{name}/pytrec_eval": {
            "wall": statistics.median(a / b for a, b in zip(r["wall_s"], base["wall_s"])),
            "rss": statistics.median(a / b for a, b in zip(r["rss_mb"], base["rss_mb"])),
            "cpu": statistics.median(a / b for a, b in zip(r["cpu_s"], base["cpu_s"])),
        }
        for name, r in rows.items()
        if name != "pytrec_eval"
    }
    benchmark.extra_info.update(rows=rows, load_1min=loads, ratios=ratios)
    print(json.dumps({"rows": rows, "load_1min": loads, "ratios": ratios}, indent=1))


def test_per_query_values_match_pytrec_eval(bench_dir: Path, tmp_path: Path) -> None:
    """Untimed: the harness's per-query values equal trec_eval's to 1e-6 on the same data."""
    from ir_harness.data.formats import read_trec_run_table
    from ir_harness.eval.metrics import evaluate
    from ir_harness.tasks.beir import BeirTask

    run, qrels_tsv = bench_dir / "run.trec", bench_dir / "scifact" / "qrels" / "test.tsv"
    per_query = tmp_path / "pytrec.json"
    cmd = [sys.executable, str(HERE / "eval_procs" / "pytrec.py"), str(run), str(qrels_tsv)]
    subprocess.run([*cmd, str(per_query)], check=True, stdout=subprocess.DEVNULL)
    theirs = json.loads(per_query.read_text())
    task = BeirTask()
    data = task.load(TASK.split("/", 1)[1], bench_dir)
    ours = evaluate(read_trec_run_table(run), data.qrels, task.spec(TASK.split("/", 1)[1]), data)
    pairs = {
        "ndcg@10": "ndcg_cut_10",
        "recall@100": "recall_100",
        "recall@1000": "recall_1000",
        "map@100": "map_cut_100",
    }
    for metric, name in pairs.items():
        worst = max(abs(ours.per_query[metric][q] - theirs[name][q]) for q in ours.query_ids)
        assert worst <= 1e-6, (metric, worst)
    assert len(ours.query_ids) == len(theirs["ndcg_cut_10"])


def test_per_query_values_equal_ranx_kernels(
    bench_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Untimed: at full size, the numpy metrics (harness/ir_harness/eval/rank_metrics.py) give the per-query
    values ranx's numba kernels give (the engine before issue 22), bit for bit."""
    from ir_harness.data.formats import read_trec_run_table
    from ir_harness.eval import rank_metrics
    from ir_harness.eval.metrics import evaluate
    from ir_harness.tasks.beir import BeirTask

    task, subset = BeirTask(), TASK.split("/", 1)[1]
    data = task.load_judgments(subset, bench_dir)
    table = read_trec_run_table(bench_dir / "run.trec")
    ours = evaluate(table, data.qrels, task.spec(subset), data)
    monkeypatch.setattr(rank_metrics, "SUPPORTED", set())
    ranx = evaluate(table, data.qrels, task.spec(subset), data)
    assert ours.per_query == ranx.per_query
