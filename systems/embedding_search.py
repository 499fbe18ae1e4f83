"""What every embedding system shares: exact top-k search over encoded documents, candidate
reranking by the same inner product, and reading the training record of a trained checkpoint.

A system mixes ``EmbeddingSearch`` in and provides ``encode(texts, role, ctx)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from harness.data import Corpus, Queries, Run
    from harness.runtime import RunContext


def training_record(resolved: str) -> dict[str, Any] | None:
    """The ``harness_train.json`` a ``harness train`` checkpoint carries, if any."""
    p = Path(resolved) / "harness_train.json"
    if p.is_file():
        try:
            return json.loads(p.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, json.JSONDecodeError):
            return None
    return None


class EmbeddingSearch:
    """Retriever and Reranker protocols on top of ``encode``."""

    _doc_ids: list[str]
    _doc_vecs: np.ndarray | None

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        raise NotImplementedError

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        self._doc_ids = corpus.ids()
        self._doc_vecs = self.encode(corpus.texts(), "document", ctx)

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        from kernels.topk import exact_topk

        assert getattr(self, "_doc_vecs", None) is not None, "index() must run before search()"
        qids = list(queries)
        qv = self.encode([queries[q] for q in qids], "query", ctx)
        scores, idx = exact_topk(qv, self._doc_vecs, k, device=ctx.device)  # type: ignore[arg-type]
        return {
            q: {self._doc_ids[j]: float(s) for s, j in zip(scores[r], idx[r]) if j >= 0}
            for r, q in enumerate(qids)
        }

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        qids = [q for q in candidates if q in queries]
        qv = self.encode([queries[q] for q in qids], "query", ctx)
        doc_ids = sorted({d for q in qids for d in candidates[q]})
        pos = {d: i for i, d in enumerate(doc_ids)}
        dv = self.encode([corpus[d].full_text for d in doc_ids], "document", ctx)
        out: Run = {}
        for r, q in enumerate(qids):
            ids = list(candidates[q])
            s = dv[[pos[d] for d in ids]] @ qv[r]
            out[q] = {d: float(v) for d, v in zip(ids, s)}
        return out
