"""The parts of ``harness run --system dense`` timed one by one, in one fresh process.

Usage: ``python benchmarks/run_procs/dense_parts.py TASK DATA_DIR``, with the same
``HARNESS_CACHE_DIR`` as the ``harness run`` it is compared with (a warm embedding cache).
Parts: ``load`` (task data, model, document and query vectors from the cache), ``topk``
(``ir_harness.kernels.topk.exact_topk`` at the task's run depth) and ``evaluate`` (the run as a dict and
``ir_harness.eval.metrics.evaluate``). Prints their seconds and nDCG@10 as JSON; the caller takes the
whole process's wall time, so interpreter start and imports count on both sides.
"""

import json
import sys
import time

t0 = time.perf_counter()
from ir_harness.eval.metrics import evaluate  # noqa: E402
from ir_harness.kernels.topk import exact_topk  # noqa: E402
from ir_harness.run.config import RunConfig  # noqa: E402
from ir_harness.run.context import RunContext  # noqa: E402
from ir_harness.run.runner import load_task  # noqa: E402
from ir_harness.systems.dense import DenseRetriever  # noqa: E402

task, data_dir = sys.argv[1], sys.argv[2]
spec, data = load_task(task, data_dir)
ctx = RunContext.from_config(RunConfig(data_dir=data_dir, device="cpu"), task)
system = DenseRetriever()
system.index(data.corpus, ctx)
qids = [q for q in data.queries if q in data.qrels]
qv = system.encode([data.queries[q] for q in qids], "query", ctx)
t1 = time.perf_counter()
scores, idx = exact_topk(qv, system._doc_vecs, spec.run_depth, device="cpu")
t2 = time.perf_counter()
doc_ids = system._doc_ids
run = {
    q: {doc_ids[j]: float(s) for s, j in zip(scores[r], idx[r]) if j >= 0}
    for r, q in enumerate(qids)
}
ev = evaluate(run, data.qrels, spec, data)
t3 = time.perf_counter()
print(
    json.dumps(
        {"load": t1 - t0, "topk": t2 - t1, "evaluate": t3 - t2, "main": ev.means[spec.main_metric]}
    )
)
