"""Peak memory of ``harness eval --qrels`` on a 5-million-line qrels file, against trec_eval.

Data (written once under ``BENCH_QRELS_DIR`` or a temp folder, seed 0): 10,000 queries with 500
judgments each (5,000,000 qrels lines; documents drawn from 2,000,000 ids; grades 0/1/2 at
70/20/10%) and a run of 100 documents per query, about 30 of them judged. Each contender is a
fresh process under ``/usr/bin/time -f %M``: its peak RSS is the contender's own (``wait4`` on
a child of the pytest process would report at least pytest's peak, which Linux carries across
fork). Rounds interleave the contenders; the 1-minute load average is recorded per round.
Nothing is asserted on memory or time; the means are asserted equal to trec_eval's printout.
Skips without ``TREC_EVAL_BIN`` (trec_eval 10.0). Run:
``TREC_EVAL_BIN=/path/trec_eval pytest benchmarks/test_qrels_memory_bench.py --benchmark-only -s``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

TREC_EVAL = os.environ.get("TREC_EVAL_BIN")
TIME_BIN = "/usr/bin/time"
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or 2)
N_QUERIES, PER_QUERY, N_DOCS, RUN_DEPTH, RUN_JUDGED = 10_000, 500, 2_000_000, 100, 30
# trec_eval -c names of the harness's default measures (judged@10 has no trec_eval twin)
PAIRS = {
    "ndcg@10": "ndcg_cut_10",
    "map": "map",
    "precision@10": "P_10",
    "recall@1000": "recall_1000",
    "mrr": "recip_rank",
}

pytestmark = pytest.mark.skipif(
    not TREC_EVAL or not os.path.exists(TIME_BIN), reason="needs TREC_EVAL_BIN and /usr/bin/time"
)


def build(root: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write ``root/qrels.trec`` (5M lines) and ``root/run.trec``; kept when both exist."""
    qrels, run = root / "qrels.trec", root / "run.trec"
    if qrels.exists() and run.exists():
        return qrels, run
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    grades = rng.choice(3, size=(N_QUERIES, PER_QUERY), p=[0.7, 0.2, 0.1])
    with open(qrels, "w", encoding="ascii") as fq, open(run, "w", encoding="ascii") as fr:
        for i in range(N_QUERIES):
            judged = rng.choice(N_DOCS, size=PER_QUERY, replace=False)
            fq.write("".join(f"q{i} 0 d{d} {g}\n" for d, g in zip(judged, grades[i], strict=True)))
            other = rng.choice(N_DOCS, size=RUN_DEPTH * 2, replace=False)
            other = other[~np.isin(other, judged)][: RUN_DEPTH - RUN_JUDGED]
            docs = np.concatenate([judged[:RUN_JUDGED], other])
            scores = np.round(rng.random(len(docs)) * 10, 3)
            rows = zip(docs.tolist(), scores.tolist(), strict=True)
            fr.write("".join(f"q{i} Q0 d{d} {r} {s:.3f} t\n" for r, (d, s) in enumerate(rows, 1)))
    return qrels, run


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one fresh process under /usr/bin/time."""
    t = time.perf_counter()
    p = subprocess.run([TIME_BIN, "-f", "%M", *cmd], env=env, cwd="/", capture_output=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise RuntimeError(f"{cmd[:3]} exited {p.returncode}: {p.stderr.decode()[-500:]}")
    return wall, int(p.stderr.decode().split()[-1]) / 1024, p.stdout.decode()


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = Path(os.environ.get("BENCH_QRELS_DIR") or tmp_path_factory.mktemp("qrels5m"))
    return build(root)


def test_qrels_5m_peak_memory(benchmark, data: tuple[Path, Path], tmp_path: Path) -> None:
    """Interleaved rounds; extra_info holds per-round wall/RSS/load and the median RSS ratio."""
    assert TREC_EVAL is not None
    qrels, run = data
    env = {**os.environ, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    code = "import sys; from ir_harness.cli import main; sys.exit(main())"
    harness = [sys.executable, "-c", code, "eval", str(run), "--qrels", str(qrels), "--json"]
    measures = [a for m in ("ndcg_cut.10", "map", "P.10", "recall.1000", "recip_rank")
                for a in ("-m", m)]  # fmt: skip
    procs = {"harness": harness, "trec_eval": [TREC_EVAL, "-c", *measures, str(qrels), str(run)]}
    rows: dict[str, dict[str, list[float]]] = {n: {"wall_s": [], "rss_mb": []} for n in procs}
    loads: list[float] = []
    outputs: dict[str, str] = {}

    def one_round() -> None:
        loads.append(os.getloadavg()[0])
        for name, cmd in procs.items():
            wall, rss, out = measure(cmd, env)
            rows[name]["wall_s"].append(round(wall, 2))
            rows[name]["rss_mb"].append(round(rss))
            outputs[name] = out

    benchmark.group = "qrels 5M lines"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    ours = json.loads(outputs["harness"])["metrics"]
    theirs = {ln.split()[0]: float(ln.split()[2]) for ln in outputs["trec_eval"].splitlines()}
    for metric, name in PAIRS.items():
        assert round(ours[metric], 4) == pytest.approx(theirs[name], abs=1e-4), metric
    h, te = rows["harness"], rows["trec_eval"]
    ratio = {
        "rss": statistics.median(a / b for a, b in zip(h["rss_mb"], te["rss_mb"], strict=True)),
        "wall": statistics.median(a / b for a, b in zip(h["wall_s"], te["wall_s"], strict=True)),
    }
    benchmark.extra_info.update(rows=rows, load_1min=loads, harness_vs_trec_eval=ratio)
    print(json.dumps({"rows": rows, "load_1min": loads, "harness_vs_trec_eval": ratio}, indent=1))
