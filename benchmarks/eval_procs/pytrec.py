"""pytrec_eval's whole process as a user runs it: parse the run and qrels in Python, evaluate.

Usage: ``python benchmarks/eval_procs/pytrec.py RUN QRELS_TSV [PER_QUERY_JSON]``. Measures
trec_eval's equivalents of the BEIR task's metrics (MRR@10 has none: ``recip_rank``).
"""

import json
import sys

import pytrec_eval

run_path, qrels_path = sys.argv[1], sys.argv[2]
run: dict[str, dict[str, float]] = {}
with open(run_path) as f:
    for line in f:
        qid, _, did, _, score, _ = line.split()
        run.setdefault(qid, {})[did] = float(score)
qrels: dict[str, dict[str, int]] = {}
with open(qrels_path) as f:
    next(f)
    for line in f:
        qid, did, grade = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(grade)
measures = {"ndcg_cut.10", "recall.100,1000", "map_cut.100", "recip_rank"}
res = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
names = ("ndcg_cut_10", "recall_100", "recall_1000", "map_cut_100", "recip_rank")
print(json.dumps({m: sum(v[m] for v in res.values()) / len(res) for m in names}))
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        json.dump({m: {q: v[m] for q, v in res.items()} for m in names}, f)
