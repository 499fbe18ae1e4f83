"""What every embedding system shares: exact top-k search over encoded documents, candidate
reranking by the same inner product, and reading the training record of a trained checkpoint.

A system mixes ``EmbeddingSearch`` in and provides ``encode(texts, role, ctx)``. A system that
also provides ``embedding_fingerprint(ctx)`` (what determines its vectors) indexes a stored corpus
(:class:`ir_harness.corpus.store.StoredCorpus`) through the sharded on-disk corpus embedding cache and
searches it by streaming exact top-k over the shards, locally or over Ray actors; memory then
stays bounded whatever the corpus size. ``always_store = True`` uses the store for every corpus.

Whatever ``encode`` returns is checked before use (:mod:`ir_harness.run.model_output`): one finite
vector per text, the same dimension for queries and documents; anything else is a clear error
naming the system and the batch, never a misaligned index or a silently changed score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext


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
    _store: Any = None  # ir_harness.cache.corpus_embeddings.CorpusEmbeddingCache when indexed through the store
    _corpus: Corpus | None = None
    always_store = False
    shard_rows = 65536  # rows per embedding-store shard (a multiple of the kernel's chunk)
    store_dtype = "float32"
    store_batch = 4096  # texts read from the corpus store per encode call

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        """One vector per text for ``role`` ("query" or "document"); each system provides it."""
        raise NotImplementedError

    def encode_uncached(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        """Encode without the per-text SQLite cache (the corpus embedding cache replaces it)."""
        return self.encode(texts, role, ctx)

    def _encode_checked(
        self, texts: list[str], role: str, ctx: RunContext, dim: int | None = None
    ) -> np.ndarray:
        """``encode`` with its result checked: ``len(texts)`` finite vectors (of width ``dim``
        when the other side's width is known)."""
        from ir_harness.run.model_output import check_vectors, system_name

        plural = "queries" if role == "query" else "documents"
        return check_vectors(
            self.encode(texts, role, ctx),
            len(texts),
            system_name(self),
            f"encoding {len(texts)} {plural}",
            dim,
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without loaded models, vectors or open stores (Ray actors rebuild them)."""
        state = dict(self.__dict__)
        for key in ("_model", "_store", "_corpus", "_doc_vecs"):
            if key in state:
                state[key] = None
        return state

    def _uses_store(self, corpus: Corpus) -> bool:
        from ir_harness.corpus.store import StoredCorpus

        return hasattr(self, "embedding_fingerprint") and (
            self.always_store or isinstance(corpus, StoredCorpus)
        )

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        """Encodes the corpus in memory, or into the sharded store (encoding only missing shards)
        for a stored corpus."""
        if self._uses_store(corpus):
            self._index_store(corpus, ctx)
            return
        self._store = None
        self._doc_ids = corpus.ids()
        self._doc_vecs = self._encode_checked(corpus.texts(), "document", ctx)

    def open_store(self, corpus: Corpus, ctx: RunContext) -> Any:
        """The corpus embedding cache keyed by this system's fingerprint and the corpus hash: same key,
        same vectors reused."""
        from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache

        return CorpusEmbeddingCache(
            ctx.cache_dir,
            self.embedding_fingerprint(ctx),  # type: ignore[attr-defined]
            corpus.content_hash,
            len(corpus),
            shard_rows=int(self.shard_rows),
            dtype=self.store_dtype,
        )

    def _index_store(self, corpus: Corpus, ctx: RunContext) -> None:
        store = self.open_store(corpus, ctx)
        todo = store.missing()
        rows = 0
        if todo:
            rows, store = ctx.executor.encode_shards(self, corpus, store, todo, ctx)
        store.finish()
        ctx.count("encoded_documents", rows)
        ctx.count("embedding_shards_encoded", len(todo))
        ctx.count("embedding_shards_reused", store.n_shards - len(todo))
        self._store, self._corpus, self._doc_vecs = store, corpus, None

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        """Exact inner-product top ``k`` per query, in memory or streamed over the store shards."""
        from ir_harness.kernels.topk import exact_topk

        qids = list(queries)
        if self._store is not None:
            qv = self._encode_checked([queries[q] for q in qids], "query", ctx, self._store.dim)
            scores, idx = ctx.executor.search_shards(qv, self._store, k, ctx)
            rows = sorted({int(j) for j in idx.ravel() if j >= 0})
            assert self._corpus is not None
            names = dict(zip(rows, self._corpus.ids_at(rows)))
            return {
                q: {names[int(j)]: float(s) for s, j in zip(scores[r], idx[r]) if j >= 0}
                for r, q in enumerate(qids)
            }
        assert getattr(self, "_doc_vecs", None) is not None, "index() must run before search()"
        dim = self._doc_vecs.shape[1] if self._doc_vecs.size else None  # type: ignore[union-attr]
        qv = self._encode_checked([queries[q] for q in qids], "query", ctx, dim)
        scores, idx = exact_topk(qv, self._doc_vecs, k, device=ctx.device)  # type: ignore[arg-type]
        return {
            q: {self._doc_ids[j]: float(s) for s, j in zip(scores[r], idx[r]) if j >= 0}
            for r, q in enumerate(qids)
        }

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """Candidates rescored by the inner product ``search`` uses; each document encoded once."""
        qids = [q for q in candidates if q in queries]
        qv = self._encode_checked([queries[q] for q in qids], "query", ctx)
        doc_ids = sorted({d for q in qids for d in candidates[q]})
        pos = {d: i for i, d in enumerate(doc_ids)}
        dim = qv.shape[1] if qids else None
        dv = self._encode_checked([corpus[d].full_text for d in doc_ids], "document", ctx, dim)
        out: Run = {}
        for r, q in enumerate(qids):
            ids = list(candidates[q])
            s = dv[[pos[d] for d in ids]] @ qv[r]
            out[q] = {d: float(v) for d, v in zip(ids, s)}
        return out
