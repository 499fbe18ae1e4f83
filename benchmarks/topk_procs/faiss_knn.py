"""FAISS exact ``knn`` in a process of its own (no torch, one OpenMP runtime).

Usage: ``python benchmarks/topk_procs/faiss_knn.py N ROUNDS THREADS``; prints JSON with the
seconds of each call and the load average before each. Same data as the in-process
benchmarks (``benchmarks.conftest.unit_vectors``, seeds 1 and 2).
"""

import json
import os
import sys
import time

import faiss

from benchmarks.conftest import DIM, NQ, K, unit_vectors

n, rounds, threads = (int(a) for a in sys.argv[1:4])
faiss.omp_set_num_threads(threads)
q, c = unit_vectors(NQ, 1), unit_vectors(n, 2)
assert c.shape[1] == DIM
faiss.knn(q, c[:10_000], K, metric=faiss.METRIC_INNER_PRODUCT)  # warm-up
times, loads = [], []
for _ in range(rounds):
    loads.append(os.getloadavg()[0])
    t = time.perf_counter()
    faiss.knn(q, c, K, metric=faiss.METRIC_INNER_PRODUCT)
    times.append(time.perf_counter() - t)
print(json.dumps({"n": n, "threads": threads, "faiss_s": times, "load_1min": loads}))
