"""ranx on its own, whole process: its TREC run loader, the BEIR qrels via pandas, five metrics.

Usage: ``python benchmarks/eval_procs/ranx_alone.py RUN QRELS_TSV``. No trec_eval ordering or
task quirks: this is the library's own cost, the floor for a ranx-based harness.
"""

import json
import sys

import pandas as pd
from ranx import Qrels, Run, evaluate

df = pd.read_csv(sys.argv[2], sep="\t", dtype={"query-id": object, "corpus-id": object})
df = df.astype({"query-id": object, "corpus-id": object})
qrels = Qrels.from_df(df, q_id_col="query-id", doc_id_col="corpus-id", score_col="score")
run = Run.from_file(sys.argv[1], kind="trec")
metrics = ["ndcg@10", "recall@100", "recall@1000", "map@100", "mrr@10"]
print(json.dumps(evaluate(qrels, run, metrics, make_comparable=True)))
