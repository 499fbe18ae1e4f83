"""Generated BEIR-layout task for the evaluation benchmark: 50k passages, 5,000 queries, and a
5,000 x 1,000 TREC run whose scores have three decimals, so ties are frequent.

Run as a script to (re)create the folder: ``python -m benchmarks.eval_data DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

N_DOCS, N_QUERIES, DEPTH = 50_000, 5_000, 1_000
NAME = "scifact"  # any BEIR name without self-hit handling; the folder is ours
TASK = f"beir/{NAME}"
METRICS = ("ndcg@10", "recall@100", "recall@1000", "map@100", "mrr@10")


def build(root: Path, seed: int = 0) -> Path:
    """Write ``root/scifact/{corpus.jsonl, queries.jsonl, qrels/test.tsv}`` and
    ``root/run.trec``; returns the run path. Skips the work if the run already exists."""
    run_path = root / "run.trec"
    if run_path.exists():
        return run_path
    rng = np.random.default_rng(seed)
    folder = root / NAME
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as f:
        for i in range(N_DOCS):
            f.write(json.dumps({"_id": f"d{i}", "title": "", "text": f"passage {i}"}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as f:
        for i in range(N_QUERIES):
            f.write(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) + "\n")
    docs = np.argsort(rng.random((N_QUERIES, N_DOCS), dtype=np.float32), axis=1)[:, :DEPTH]
    scores = np.round(rng.random((N_QUERIES, DEPTH)) * 10, 3)  # 10,000 values: many ties
    with open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for i in range(N_QUERIES):  # 1-5 judged docs, some retrieved, some not
            found = docs[i, rng.choice(DEPTH, size=int(rng.integers(0, 4)), replace=False)]
            missed = rng.choice(N_DOCS, size=int(rng.integers(1, 3)), replace=False)
            for d in sorted(set(found.tolist()) | set(missed.tolist())):
                f.write(f"q{i}\td{d}\t{int(rng.integers(0, 3))}\n")
    tmp = run_path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for i in range(N_QUERIES):
            rows = zip(docs[i].tolist(), scores[i].tolist(), strict=True)
            f.write("".join(f"q{i} Q0 d{d} {r} {s:.3f} gen\n" for r, (d, s) in enumerate(rows, 1)))
    tmp.rename(run_path)
    return run_path


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
