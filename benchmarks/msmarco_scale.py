"""MS MARCO size in one process: 8.8M passages x 384, 6,980 queries (a benchmark script, not a
test; by hand only, it takes about an hour of a quiet 2-core machine at full size).

``python -m benchmarks.msmarco_scale [N] [--queries 6980] [--k 100] [--scratch DIR] [--no-bm25]
[--inmem-ref 1000000] [--keep]``; N defaults to 8,841,823 (MS MARCO v1 passages). Phases, each
with wall seconds, peak RssAnon (resident anonymous memory, i.e. beyond the memory-mapped corpus
store and embedding shards; sampled every 20 ms) and disk used by what it wrote:

1. ``corpus``: the synthetic generator (``ir_harness.tasks.synthetic.passages``, MS MARCO-like lengths)
   streamed into the on-disk corpus store;
2. ``embed``: the ``hashing`` encoder (d=384) through the sharded corpus embedding cache;
3. ``search``: exact top-k of the queries (the four rarest words of sampled passages, as
   ``synthetic/<N>``) with the streaming top-k over the memory-mapped shards;
4. ``bm25``: a Lucene index built from the corpus store's batches (``systems/bm25.py``, the
   JVM heap capped by ``BENCH_BM25_HEAP``, default 4g: 1g ran out at 8.8M) and its search of the same queries.

``--inmem-ref M`` (with ``--ref-queries``, default 1,000) then measures, after the phases above (their peaks are already taken), the
in-memory ``exact_topk`` over the first M rows held in RAM and the streaming top-k over the
same rows, same queries, alternating, for the throughput comparison (query x passage per
second). Prints one ``MSMARCO_RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.scale_probe import Sampler

MSMARCO_PASSAGES = 8_841_823
MSMARCO_DEV_QUERIES = 6_980


def du_mb(path: Path) -> float:
    """Disk used below ``path`` (allocated blocks, as ``du``)."""
    total = 0
    for p in [path, *path.rglob("*")] if path.exists() else []:
        try:
            total += p.lstat().st_blocks * 512
        except OSError:
            pass
    return round(total / 2**20, 1)


class Phases:
    def __init__(self, sampler: Sampler) -> None:
        self.s, self.out = sampler, {}  # type: ignore[var-annotated]

    def run(self, name: str, fn: Any, disk: Path | None = None) -> Any:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        res = fn()
        t1 = time.perf_counter()
        self.out[name] = {
            "seconds": round(t1 - t0, 2),
            "peak_anon_mb": round(self.s.peak(t0, t1)),
            "load_1min_before_after": [round(load, 2), round(os.getloadavg()[0], 2)],
        }
        if disk is not None:
            self.out[name]["disk_mb"] = du_mb(disk)
        print(f"phase {name}: {json.dumps(self.out[name])}", file=sys.stderr, flush=True)
        return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=MSMARCO_PASSAGES)
    ap.add_argument("--queries", type=int, default=MSMARCO_DEV_QUERIES)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--scratch", type=Path, default=None)
    ap.add_argument("--no-bm25", action="store_true")
    ap.add_argument("--inmem-ref", type=int, default=0)
    ap.add_argument("--ref-queries", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    a = ap.parse_args()

    import numpy as np

    from ir_harness.corpus.store import open_or_build
    from ir_harness.kernels.stream import stream_topk
    from ir_harness.run.context import RunContext
    from ir_harness.systems.hashing import HashingEmbedder
    from ir_harness.tasks.synthetic import make_queries, passages

    scratch = a.scratch or Path(tempfile.mkdtemp(prefix="msmarco-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"n": a.n, "queries": a.queries, "k": a.k, "dim": 384}
    res["threads"] = int(os.environ.get("OMP_NUM_THREADS") or 0) or os.cpu_count()
    t_all = time.perf_counter()
    with Sampler() as s:
        ph = Phases(s)
        corpus = ph.run(
            "corpus",
            lambda: open_or_build(
                scratch, f"msmarco-scale:n={a.n}", lambda: passages(a.n, 0), f"synthetic {a.n}"
            ),
            scratch / "corpora",
        )
        queries, qrels = ph.run("queries", lambda: make_queries(corpus, a.n, 0, a.queries))
        ctx = RunContext(cache_dir=scratch / "cache", progress=False)
        emb = HashingEmbedder()
        ph.run("embed", lambda: emb.index(corpus, ctx), scratch / "cache" / "embstore")
        qids = list(queries)

        def search() -> tuple[Any, Any]:
            qv = emb.encode([queries[q] for q in qids], "query")
            return stream_topk(qv, emb._store.shards(), a.k)

        scores, idx = ph.run("search", search)
        ph.out["search"]["query_passages_per_s"] = round(
            len(qids) * a.n / ph.out["search"]["seconds"]
        )
        # How often the passage a query was made from is first: a check that search is right.
        rows = np.array([int(next(iter(qrels[q])).removeprefix("p")) for q in qids])
        res["search_top1_is_source"] = round(float((idx[:, 0] == rows).mean()), 4)
        del scores, idx
        if not a.no_bm25:
            import jnius_config

            if not jnius_config.vm_running:  # the JVM heap is anonymous memory: cap it
                jnius_config.add_options(f"-Xmx{os.environ.get('BENCH_BM25_HEAP', '4g')}")
            from ir_harness.systems.bm25 import BM25

            bm = BM25()
            ph.run("bm25_index", lambda: bm.index(corpus, ctx), scratch / "cache" / "lucene")
            ph.run("bm25_search", lambda: bm.search(queries, a.k, ctx))
    res["phases"] = ph.out
    res["peak_anon_mb"] = round(max((m for _, m in s.samples), default=0))
    res["total_s"] = round(time.perf_counter() - t_all, 1)
    res["disk_mb"] = du_mb(scratch)
    if a.inmem_ref:
        ref = res["inmem_ref"] = inmem_reference(emb, queries, a.inmem_ref, a.k, a.ref_queries)
        res["search_stream_over_inmem_ref_throughput"] = round(
            ph.out["search"]["query_passages_per_s"] / ref["memory_qp_per_s"], 3
        )
    if not a.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    print("MSMARCO_RESULT " + json.dumps(res), flush=True)


def inmem_reference(
    emb: Any, queries: dict[str, str], m: int, k: int, ref_queries: int
) -> dict[str, Any]:
    """In-memory ``exact_topk`` over the first ``m`` rows in RAM against the streaming top-k
    over the same rows (first ``ref_queries`` queries), after one untimed warm-up call,
    alternating twice; query x passage per second for each."""
    import numpy as np

    from ir_harness.kernels.stream import stream_topk
    from ir_harness.kernels.topk import exact_topk

    store = emb._store
    m = min(m, store.n)
    last = next(i for i in range(store.n_shards) if store.bounds(i)[1] >= m)
    matrix = np.concatenate([np.asarray(a) for _, a in store.shards(range(last + 1))])[:m]
    qv = emb.encode(list(queries.values())[:ref_queries], "query")
    out: dict[str, Any] = {"rows": m, "queries": qv.shape[0], "memory_s": [], "stream_s": []}

    def shards() -> Any:
        for off, a in store.shards(range(last + 1)):
            yield off, a[: max(0, m - off)]

    exact_topk(qv[:64], matrix, k)  # warm-up: numba's compiled selection is loaded once
    for _ in range(2):
        t = time.perf_counter()
        ref = exact_topk(qv, matrix, k)
        out["memory_s"].append(round(time.perf_counter() - t, 2))
        t = time.perf_counter()
        got = stream_topk(qv, shards(), k)
        out["stream_s"].append(round(time.perf_counter() - t, 2))
    out["identical"] = bool(np.array_equal(ref[0], got[0]) and np.array_equal(ref[1], got[1]))
    nq = qv.shape[0]
    out["memory_qp_per_s"] = round(nq * m / min(out["memory_s"]))
    out["stream_qp_per_s"] = round(nq * m / min(out["stream_s"]))
    return out


if __name__ == "__main__":
    main()
