"""MS MARCO's size on the CPU, streamed: 8,841,823 x 384 embeddings in the on-disk embedding
store, exact top-k of 6,980 queries at k = 1,000 over its memory-mapped shards.

Why synthetic vectors: this measures the store and the search, not an encoder; seeded unit
vectors are written straight into :class:`ir_harness.cache.corpus_embeddings.CorpusEmbeddingCache`
shard by shard (the encoder's place). Phases, each with seconds, peak RssAnon (resident memory
beyond file-backed maps, sampled every 50 ms), the store's disk bytes and the 1-minute load
average before and after:

1. ``write``: generate and write every shard (crc32 sidecars, as an encode writes them);
2. ``search``: :func:`ir_harness.kernels.stream.stream_topk` over ``store.shards()``;
3. ``in_memory_1m``: the in-memory path (:func:`ir_harness.kernels.topk.exact_topk` on one
   array of the first 1M rows in RAM) for the same queries, so the per-(query x document) time
   ratio streamed/in-memory comes from the same run;
4. ``check``: 50 sampled queries' streamed top-k against an fp64 product over all rows: ids
   equal except ties within the fp32 rounding band, and the largest score difference.

Run: ``python -m benchmarks.msmarco_probe [--n N] [--queries Q] [--k K] [--store DIR]``;
prints ``MSMARCO_RESULT {json}`` at the end. Small check: ``--n 200000 --queries 500``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

N_PASSAGES = 8_841_823
N_QUERIES = 6_980


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Peak:
    """Peak RssAnon (MB) inside a ``with`` block, sampled in a thread."""

    def __init__(self) -> None:
        self.mb = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, _status_kb("RssAnon") / 1024)
            time.sleep(0.05)

    def __enter__(self) -> Peak:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.mb = max(self.mb, _status_kb("RssAnon") / 1024)


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def shard_rows(store: Any, i: int, dim: int) -> np.ndarray:
    start, stop = store.bounds(i)
    return unit_rows(np.random.default_rng([0, i]), stop - start, dim)


def phase(name: str, res: dict[str, Any], fn: Any) -> Any:
    load0 = os.getloadavg()[0]
    with Peak() as p:
        t = time.perf_counter()
        out = fn()
        sec = time.perf_counter() - t
    res[name] = {
        "seconds": round(sec, 2),
        "peak_rss_anon_mb": round(p.mb),
        "load_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }
    print(name, json.dumps(res[name]), flush=True)
    return out


def check(q: np.ndarray, store: Any, got: tuple[np.ndarray, np.ndarray], k: int,
          sample: int) -> dict[str, Any]:  # fmt: skip
    """Sampled queries against an fp64 product, one pass over the shards: a running exact
    top-k per query, and the exact scores of the ids the streamed search returned."""
    rows = np.linspace(0, len(q) - 1, num=min(sample, len(q))).astype(int)
    qs = q[rows].astype(np.float64)
    best_s = np.zeros((len(rows), 0))
    best_i = np.zeros((len(rows), 0), dtype=np.int64)
    got_exact = np.full((len(rows), k), np.nan)
    for off, arr in store.shards():
        sc = (arr.astype(np.float64) @ qs.T).T  # (sampled queries, shard rows)
        for j, r in enumerate(rows):
            ids = got[1][r]
            inside = (ids >= off) & (ids < off + arr.shape[0])
            got_exact[j, inside] = sc[j, ids[inside] - off]
        cat_s = np.concatenate([best_s, sc], axis=1)
        cat_i = np.concatenate([best_i, np.broadcast_to(np.arange(off, off + sc.shape[1]), sc.shape)], axis=1)  # fmt: skip
        keep = np.argpartition(-cat_s, min(k, cat_s.shape[1]) - 1, axis=1)[:, :k]
        best_s = np.take_along_axis(cat_s, keep, axis=1)
        best_i = np.take_along_axis(cat_i, keep, axis=1)
    band = 2 * q.shape[1] * 2.0**-24  # |fp32 dot - exact| <= d*u for unit vectors, twice
    differ = tie = 0
    for j, r in enumerate(rows):
        outside = ~np.isin(got[1][r], best_i[j])
        differ += int(outside.sum())
        tie += int((np.abs(got_exact[j, outside] - best_s[j].min()) <= band).sum())
    worst = float(np.nanmax(np.abs(got[0][rows] - got_exact)))
    return {"sampled_queries": len(rows), "differing_ids": differ,
            "differing_ids_within_fp32_band": tie, "max_abs_score_diff_vs_fp64": worst}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=N_PASSAGES)
    ap.add_argument("--queries", type=int, default=N_QUERIES)
    ap.add_argument("--k", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--in-memory-rows", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--store", type=Path, default=None, help="folder (default: a temporary one)")
    args = ap.parse_args()

    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
    from ir_harness.kernels.stream import stream_topk
    from ir_harness.kernels.topk import exact_topk

    root = args.store or Path(tempfile.mkdtemp(prefix="msmarco-store-"))
    res: dict[str, Any] = {"n": args.n, "queries": args.queries, "k": args.k, "dim": args.dim,
                           "cpu_count": os.cpu_count(), "threads": os.environ.get("OMP_NUM_THREADS")}  # fmt: skip
    store = CorpusEmbeddingCache(root, "synthetic-unit-vectors", f"msmarco-{args.n}", args.n)
    q = unit_rows(np.random.default_rng(1), args.queries, args.dim)

    def write() -> None:
        for i in store.missing():
            store.write_shard(i, shard_rows(store, i, args.dim))
        store.finish()

    # compile the kernels' numba selection before any timed phase (a few seconds, once)
    exact_topk(q[:64], unit_rows(np.random.default_rng(2), 4 * 16384, args.dim), min(args.k, 100))
    phase("write", res, write)
    res["disk_bytes"] = sum(p.stat().st_size for p in store.folder.iterdir())
    got = phase("search", res, lambda: stream_topk(q, store.shards(), args.k))
    m = min(args.in_memory_rows, args.n)

    def in_memory() -> tuple[np.ndarray, np.ndarray]:
        first = range(-(-m // store.shard_rows))  # the shards holding the first m rows
        matrix = np.concatenate([arr for _, arr in store.shards(first)])[:m]
        t = time.perf_counter()
        out = exact_topk(q, np.ascontiguousarray(matrix), args.k)
        res["in_memory_search_s"] = round(time.perf_counter() - t, 2)
        return out

    phase("in_memory_1m", res, in_memory)
    per_stream = res["search"]["seconds"] / (args.n * args.queries)
    per_memory = res["in_memory_search_s"] / (m * args.queries)
    res["in_memory_rows"] = m
    res["stream_over_memory_per_query_doc"] = round(per_stream / per_memory, 3)
    res["check_result"] = phase("check", res, lambda: check(q, store, got, args.k, args.sample))
    if args.store is None:
        shutil.rmtree(root, ignore_errors=True)
    print("MSMARCO_RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
