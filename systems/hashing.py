"""A cheap, deterministic embedder: a hashed bag of words projected to d=384, no model download.

Each lower-cased ``\\w+`` token is hashed (crc32, the same in every process) and scattered into
four of the 384 dimensions with hash-derived signs; a text's vector is the sum over its tokens,
L2-normalised, so scores are cosines of signed term-count sketches. It exists to exercise the
whole dense path (corpus store, corpus embedding cache, streaming top-k, metrics) at millions of
passages on a CPU in minutes; its quality is that of a lexical overlap count, nothing more.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.protocols import SystemMeta
from ir_harness.systems.embedding_search import EmbeddingSearch

if TYPE_CHECKING:
    from ir_harness.run.context import RunContext

_TOKEN = re.compile(r"\w+")
_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads a 32-bit token hash over 64 well-mixed bits."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


class HashingEmbedder(EmbeddingSearch):
    """Retriever (and reranker) over hashed bag-of-words vectors."""

    def __init__(self, dim: int = 384, projections: int = 4, shard_rows: int = 65536) -> None:
        self.dim = int(dim)
        self.projections = int(projections)
        self.shard_rows = int(shard_rows)
        self._doc_ids: list[str] = []
        self._doc_vecs = None
        self._token_hash: dict[str, int] = {}

    def embedding_fingerprint(self, ctx: RunContext) -> str:
        """What determines the vectors (for the on-disk corpus embedding cache's key)."""
        key = f"hashing:v1:dim={self.dim}:proj={self.projections}"
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def _hashes(self, tokens: list[str]) -> list[int]:
        cache = self._token_hash
        out = []
        for t in tokens:
            h = cache.get(t)
            if h is None:
                h = cache[t] = zlib.crc32(t.encode())
                if len(cache) > 2_000_000:  # bound the memo on open vocabularies
                    cache.clear()
            out.append(h)
        return out

    def encode(self, texts: list[str], role: str, ctx: RunContext | None = None) -> np.ndarray:
        """L2-normalised signed sketches of the texts' lower-cased tokens, equal in every process;
        ``role`` is not read (queries and documents share one map); an empty text gives the zero
        vector."""
        toks = [_TOKEN.findall(t.lower()) for t in texts]
        lens = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
        flat = self._hashes([w for ts in toks for w in ts])
        h = np.array(flat, dtype=np.uint64)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lens) * self.dim
        acc = np.zeros(len(texts) * self.dim, dtype=np.float64)
        for j in range(self.projections):
            x = _mix(h + np.uint64(_GOLDEN * (j + 1) % 2**64))
            dims = (x % np.uint64(self.dim)).astype(np.int64)
            signs = np.where((x >> np.uint64(63)) == 1, 1.0, -1.0)
            acc += np.bincount(rows + dims, weights=signs, minlength=acc.size)
        vecs = acc.reshape(len(texts), self.dim)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def meta(self) -> SystemMeta:
        """The sketch's shape (dim, projections, tokens), the only things its vectors depend on, so
        it names the result."""
        params: dict[str, Any] = {
            "dim": self.dim,
            "projections": self.projections,
            "tokens": "lower-cased \\w+, crc32",
            "similarity": "cosine",
        }
        return SystemMeta(
            name="hashing",
            kind="dense",
            backbone="hashed-bag-of-words",
            parameters=params,
            backend="numpy",
            device="cpu",
        )
