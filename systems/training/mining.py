"""Negative mining for training examples: random (cheap, tests), BM25, or the current model.

Each miner returns ``query id -> [doc id]`` of ``n`` documents per query that are not judged
for that query (judged non-relevant docs are skipped too: their label is known, not mined).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.data.model import Run, TaskData
    from ir_harness.run.context import RunContext


def _from_run(run: Run, judged: dict[str, set[str]], n: int, skip_top: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for q, docs in run.items():
        ranked_ids = [d for d, _ in sorted(docs.items(), key=lambda kv: (-kv[1], kv[0]))]
        cand = [d for d in ranked_ids[skip_top:] if d not in judged.get(q, set())]
        out[q] = cand[:n]
    return out


def random_miner(data: TaskData, n: int, seed: int = 0) -> Callable[..., dict[str, list[str]]]:
    ids = data.corpus.ids()

    def mine(qids: list[str], judged: dict[str, set[str]]) -> dict[str, list[str]]:
        rng = random.Random(seed)
        out = {}
        for q in qids:
            pool = [
                d for d in rng.sample(ids, min(len(ids), n + len(judged[q]))) if d not in judged[q]
            ]
            out[q] = pool[:n]
        return out

    return mine


def bm25_miner(
    data: TaskData, n: int, ctx: RunContext, skip_top: int = 0, depth: int = 100
) -> Callable[..., dict[str, list[str]]]:
    """BM25 hard negatives (Pyserini; starts a JVM, ~15 s)."""

    def mine(qids: list[str], judged: dict[str, set[str]]) -> dict[str, list[str]]:
        from ir_harness.systems.bm25 import BM25

        bm = BM25()
        bm.index(data.corpus, ctx)
        run = bm.search({q: data.queries[q] for q in qids}, depth, ctx)
        return _from_run(run, judged, n, skip_top)

    return mine


def model_miner(
    data: TaskData, n: int, model_path: str, ctx: RunContext, skip_top: int = 0, depth: int = 100
) -> Callable[..., dict[str, list[str]]]:
    """Hard negatives from the model being trained (its state before training)."""

    def mine(qids: list[str], judged: dict[str, set[str]]) -> dict[str, list[str]]:
        from ir_harness.systems.dense import DenseRetriever

        d = DenseRetriever(model=model_path)
        d.index(data.corpus, ctx)
        run = d.search({q: data.queries[q] for q in qids}, depth, ctx)
        return _from_run(run, judged, n, skip_top)

    return mine


def make_miner(
    kind: str, data: TaskData, n: int, ctx: RunContext, model_path: str, seed: int = 0
) -> Callable[..., dict[str, list[str]]] | None:
    if n <= 0 or kind == "none":
        return None
    if kind == "random":
        return random_miner(data, n, seed)
    if kind == "bm25":
        return bm25_miner(data, n, ctx)
    if kind == "model":
        return model_miner(data, n, model_path, ctx)
    raise ConfigError(f"--negatives {kind!r}: expected random, bm25, model or none")
