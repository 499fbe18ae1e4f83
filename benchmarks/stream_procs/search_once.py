"""One exact top-k search in a process of its own: streamed over the store's memory-mapped
shards, or in memory over the same rows copied into one array.

Usage: ``python benchmarks/stream_procs/search_once.py MODE STORE_DIR N QUERIES K``, MODE one
of ``memory`` (the default dispatch: the bf16 prefilter where the CPU has bf16 units),
``memory_fp32`` (the fused fp32 path), ``stream`` (the default dispatch, streamed: the bf16
prefilter too where the CPU has bf16 units), ``stream_fp32`` (the fused fp32 selection,
streamed) or ``merged`` (the stream's fallback where the fused selection is missing: one
kernel call per piece, merged; what the CPU ran before the heaps carried over);
prints JSON: the search's seconds, the load average before and after, the seconds of the
store's verification pass (crc32 and finiteness of every shard, before the timed search: a
store cost, not the kernel's) and a sha256 of the result's index and score bits, which must be
the same for both modes. The store is written by ``benchmarks/test_stream_bench.py``.
"""

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.msmarco_probe import unit_rows
from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
from ir_harness.kernels.stream import stream_topk
from ir_harness.kernels.topk import exact_topk

mode, folder = sys.argv[1], Path(sys.argv[2])
n, nq, k = (int(a) for a in sys.argv[3:6])
store = CorpusEmbeddingCache(folder, "synthetic-unit-vectors", f"stream-bench-{n}", n)
q = unit_rows(np.random.default_rng(1), nq, 384)
exact_topk(q[:64], unit_rows(np.random.default_rng(2), 4 * 16384, 384), 100)  # numba warm-up
t = time.perf_counter()
arrays = [arr for _, arr in store.shards()]  # verifies every shard once (reads every page)
verify_s = time.perf_counter() - t
if mode in ("memory", "memory_fp32"):
    corpus = np.concatenate(arrays)
    del arrays
    bf16 = None if mode == "memory" else False  # memory: bf16 prefilter where the CPU has bf16
    run = lambda: exact_topk(q, corpus, k, bf16_prefilter=bf16)  # noqa: E731
else:
    del arrays
    if mode == "merged":
        from ir_harness.kernels import stream

        stream._fused = lambda device: False  # type: ignore[assignment]
    bf16 = False if mode == "stream_fp32" else None
    run = lambda: stream_topk(q, store.shards(), k, bf16_prefilter=bf16)  # noqa: E731
load0 = os.getloadavg()[0]
t = time.perf_counter()
s, i = run()
sec = time.perf_counter() - t
digest = hashlib.sha256(i.tobytes() + s.view(np.uint32).tobytes()).hexdigest()
print(json.dumps({"mode": mode, "n": n, "queries": nq, "k": k, "seconds": round(sec, 3),
                  "load_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
                  "verify_s": round(verify_s, 2), "sha256": digest}))  # fmt: skip
