"""Negative mining for training examples: random (cheap, tests), any registered retriever, or
the model being trained (its state before training).

Each miner returns ``query id -> [doc id]`` of ``n`` documents per query that are not judged
for that query (judged non-relevant docs are skipped too: their label is known, not mined).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

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
    """Negatives drawn uniformly from the corpus: no index to build, so tests and smoke runs
    stay fast."""
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


def system_miner(
    data: TaskData,
    n: int,
    ctx: RunContext,
    system: str,
    options: dict[str, Any] | None = None,
    skip_top: int = 0,
    depth: int = 100,
) -> Callable[..., dict[str, list[str]]]:
    """Hard negatives from a registered retriever (``--negatives NAME``), built by name so the
    training code depends on no system; the model being trained is the dense system's case."""

    def mine(qids: list[str], judged: dict[str, set[str]]) -> dict[str, list[str]]:
        from ir_harness.protocols import Retriever
        from ir_harness.registry import SYSTEMS

        retriever = SYSTEMS.get(system)(**(options or {}))
        if not isinstance(retriever, Retriever):
            raise ConfigError(f"--negatives {system!r}: not a retriever (it cannot search)")
        retriever.index(data.corpus, ctx)
        run = retriever.search({q: data.queries[q] for q in qids}, depth, ctx)
        return _from_run(run, judged, n, skip_top)

    return mine


def make_miner(
    kind: str, data: TaskData, n: int, ctx: RunContext, model_path: str, seed: int = 0
) -> Callable[..., dict[str, list[str]]] | None:
    """The miner ``--negatives`` names: random, model (the start model, as a dense retriever),
    none, or the name of a registered retriever."""
    from ir_harness.registry import SYSTEMS

    if n <= 0 or kind == "none":
        return None
    if kind == "random":
        return random_miner(data, n, seed)
    if kind == "model":
        return system_miner(data, n, ctx, "dense", {"model": model_path})
    if kind in SYSTEMS:
        return system_miner(data, n, ctx, kind)
    raise ConfigError(
        f"--negatives {kind!r}: expected random, model, none or a retriever "
        f"({', '.join(SYSTEMS.names())})"
    )
