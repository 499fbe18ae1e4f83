"""Plugins for probes that need a real ``harness`` process to be mid-run when a signal lands."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.protocols import SystemMeta
from ir_harness.systems.dense import DenseRetriever
from ir_harness.systems.embedding_search import EmbeddingSearch
from ir_harness.systems.hashing import HashingEmbedder
from ir_harness.systems.scoring_reranker import ScoringReranker
from tests.harness.fakes import OverlapRetriever

if TYPE_CHECKING:
    from ir_harness.data.model import Queries, Run
    from ir_harness.run.context import RunContext


class StallingRetriever(OverlapRetriever):
    """Notes each search call in ``$PROBE_PROGRESS``; stalls on call ``$PROBE_STALL_AT`` so the
    test can signal a process known to have committed the earlier batches."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        progress = Path(os.environ["PROBE_PROGRESS"])
        calls = len(progress.read_text().splitlines()) + 1 if progress.exists() else 1
        with progress.open("a") as f:
            f.write(f"{calls} {' '.join(sorted(queries))}\n")
        if calls == int(os.environ.get("PROBE_STALL_AT", "0")):
            time.sleep(120)
        return super().search(queries, k, ctx)


class EmptyRetriever(OverlapRetriever):
    """Returns nothing for every query (or only for ``q1`` with ``$PROBE_EMPTY=q1``)."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        only = os.environ.get("PROBE_EMPTY")
        full = super().search(queries, k, ctx)
        return {q: ({} if only in (None, q) else docs) for q, docs in full.items()}


# ---------------------------------------------------------------- models that misbehave
def misbehave(vecs: np.ndarray, calls: int) -> Any:
    """``vecs`` damaged as ``$PROBE_BAD`` says (unset: as given). ``calls`` counts the model's
    calls so far (for a width that changes between batches)."""
    bad = os.environ.get("PROBE_BAD", "")
    if bad == "fewer":
        return vecs[:-1]
    if bad == "oned":
        return vecs[:, 0]
    if bad == "none":
        return None
    if bad == "str":
        return [str(v[0]) for v in vecs]
    if bad == "ragged":
        return [list(v[: 1 + i % 2]) for i, v in enumerate(vecs)]
    if bad == "dims":
        return vecs[:, : 8 if calls % 2 else 16]
    if bad in ("nan", "posinf"):
        out = vecs.copy()
        out[0, 0] = np.nan if bad == "nan" else np.inf
        return out
    return vecs


class BadEncoder(EmbeddingSearch):
    """An embedding system whose ``encode`` misbehaves as ``$PROBE_BAD`` says."""

    def __init__(self) -> None:
        self._inner = HashingEmbedder(dim=16)
        self._calls = 0
        self._doc_vecs = None

    def meta(self) -> SystemMeta:
        return SystemMeta(name="badenc", kind="dense", backend="python")

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> Any:
        self._calls += 1
        return misbehave(self._inner.encode(texts, role), self._calls - 1)


class BadStoreEncoder(BadEncoder):
    """The same, indexed through the on-disk corpus embedding cache (shards of 2 rows)."""

    always_store = True
    shard_rows = 2

    def meta(self) -> SystemMeta:
        return SystemMeta(name="badstore", kind="dense", backend="python")

    def embedding_fingerprint(self, ctx: RunContext) -> str:
        return "probe-badstore-v1"


class FakeSentenceModel:
    """A sentence-transformers stand-in (hashed bag of words, d=16) that misbehaves as
    ``$PROBE_BAD`` says; its (empty) ``state_dict`` keys the embedding cache."""

    def __init__(self) -> None:
        self._inner = HashingEmbedder(dim=16)
        self.calls = 0

    def state_dict(self) -> dict[str, Any]:
        return {}

    def encode(self, texts: list[str], **_: Any) -> Any:
        self.calls += 1
        return misbehave(self._inner.encode(texts, "document"), self.calls - 1)


class BadDense(DenseRetriever):
    """``dense`` (with its SQLite embedding cache) over :class:`FakeSentenceModel`."""

    def __init__(self) -> None:
        super().__init__(FakeSentenceModel())


class BadScorer(ScoringReranker):
    """A pointwise reranker whose ``score`` misbehaves as ``$PROBE_BAD`` says."""

    name = "badscore"

    def __init__(self) -> None:
        super().__init__("none", "float32")

    def meta(self) -> SystemMeta:
        return self._meta({})

    def _load(self, ctx: RunContext) -> None:
        pass

    def score(self, query: str, docs: list[tuple[str, str]], batch_size: int) -> Any:
        good = [float(len(set(query.split()) & set(t.split()))) for _, t in docs]
        bad = os.environ.get("PROBE_BAD", "")
        if bad == "fewer":
            return good[:-1]
        if bad == "none":
            return None
        if bad == "str":
            return ["high"] * len(good)
        if bad in ("nan", "posinf"):
            return [float("nan") if bad == "nan" else float("inf"), *good[1:]]
        return good


class NaNRetriever(OverlapRetriever):
    """Returns a NaN score for one document of every query."""

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        full = super().search(queries, k, ctx)
        return {q: {**docs, next(iter(docs)): float("nan")} for q, docs in full.items()}
