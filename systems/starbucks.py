"""Starbucks / 2D Matryoshka embeddings: any (layers, dim) sub-model of one encoder, and whole
(layers x dim) grids from a single forward pass.

A sub-model keeps the first ``layers`` transformer blocks and the first ``dim`` coordinates of
the pooled vector (normalised afterwards when the model normalises, i.e. cosine). Released
checkpoints: ``ielabgroup/Starbucks_STS`` (sentence-transformers, mean pooling, cosine) and
``ielabgroup/Starbucks-msmarco`` (Tevatron: pass ``-o pooling=cls -o normalize=false``, dot
product). Our own ``harness train --method starbucks`` checkpoints work the same way.

Grids: every layer's hidden state comes out of one forward pass over the corpus, and every
dimension prefix is sliced from the same vectors, so an L x D grid costs one encoding.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.models import resolve_model
from ir_harness.protocols import SystemMeta
from ir_harness.run.config import DEFAULT_BATCH_SIZE
from ir_harness.systems.embedding_search import EmbeddingSearch, training_record

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ir_harness.run.context import RunContext
    from ir_harness.train.encoder import Encoder

DEFAULT_MODEL = "ielabgroup/Starbucks_STS"


def grid_vectors(
    enc: Encoder,
    texts: Sequence[str],
    layers: Sequence[int],
    dims: Sequence[int],
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[tuple[int, int], np.ndarray]:
    """(layers, dim) -> vectors for every text, from one forward pass per batch."""
    import torch

    parts: dict[tuple[int, int], list[np.ndarray]] = {(n, d): [] for n in layers for d in dims}
    with torch.inference_mode():
        for b in range(0, len(texts), batch_size):
            hs = enc.layer_embeddings(texts[b : b + batch_size], list(layers))
            for n in layers:
                for d in dims:
                    parts[(n, d)].append(enc.finish(hs[n], d).float().cpu().numpy())
    return {
        k: np.concatenate(v) if v else np.zeros((0, k[1]), np.float32) for k, v in parts.items()
    }


class StarbucksRetriever(EmbeddingSearch):
    """Retriever, reranker and embedder for one (layers, dim) sub-model of a 2D Matryoshka model."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        layers: int | None = None,
        dim: int | None = None,
        pooling: str | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
    ) -> None:
        self.model_id = model
        self.layers = int(layers) if layers else None
        self.dim = int(dim) if dim else None
        self.pooling = pooling
        self.normalize = normalize
        self.max_length = max_length
        self.enc: Encoder | None = None
        self._resolved = ""
        self._device = "cpu"
        self._fp = ""
        self._doc_ids: list[str] = []
        self._doc_vecs: np.ndarray | None = None

    def load(self, device: str = "cpu") -> Encoder:
        """Loads the encoder on first use, so building the pipeline stays cheap."""
        if self.enc is None:
            from ir_harness.systems.dense import model_fingerprint
            from ir_harness.train.encoder import Encoder

            self._resolved = resolve_model(self.model_id)
            self._device = device
            self.enc = Encoder.load(
                self._resolved,
                device=device,
                pooling=self.pooling,
                normalize=self.normalize,
                max_length=self.max_length,
            )
            self.enc.model.eval()
            if self.layers and not 1 <= self.layers <= self.enc.num_layers:
                from ir_harness.errors import ConfigError

                raise ConfigError(f"layers={self.layers}: model has {self.enc.num_layers} layers")
            self._fp = model_fingerprint(
                self.model_id,
                self._resolved,
                {
                    "starbucks": [self.layers, self.dim],
                    "pool": self.enc.pooling,
                    "norm": self.enc.normalize,
                    "max_len": self.enc.max_length,
                },
            )
            log.info(
                "starbucks: %s (layers=%s, dim=%s) on %s",
                self._resolved,
                self.layers,
                self.dim,
                device,
            )
        return self.enc

    def _encode_now(self, texts: list[str]) -> np.ndarray:
        """Encode with a real truncated model (first ``layers`` blocks), then slice ``dim``."""
        import torch

        enc = self.enc
        assert enc is not None
        with torch.inference_mode():
            if self.layers and self.layers < enc.num_layers:
                with enc.truncated(self.layers):
                    v = enc.embed(texts, self.dim)
            else:
                v = enc.embed(texts, self.dim)
        return v.float().cpu().numpy()

    # ---------------------------------------------------------------- protocols
    def encode(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        """Vectors of the configured (layers, dims) sub-model, through the embedding cache."""
        from ir_harness.cache.text_embeddings import EmbeddingCache

        self.load(ctx.device)
        cache = EmbeddingCache(ctx.cache_dir / "embeddings", self._fp)
        try:
            vecs, encoded, hits = cache.encode(texts, role, self._encode_now, ctx.batch_size)
        finally:
            cache.close()
        plural = "queries" if role == "query" else "documents"
        ctx.count(f"encoded_{plural}", encoded)
        ctx.count(f"cache_hits_{plural}", hits)
        return vecs

    def meta(self) -> SystemMeta:
        """What the stored result records: the model, the sub-model and any training record."""
        params: dict[str, Any] = {
            "layers": self.layers,
            "dim": self.dim,
            "pooling": self.enc.pooling if self.enc else self.pooling,
            "normalize": self.enc.normalize if self.enc else self.normalize,
            "max_length": self.max_length,
        }
        rec = training_record(self._resolved) if self._resolved else None
        if rec:
            params["training"] = rec
        return SystemMeta(
            name="starbucks",
            kind="trained" if rec else "dense",
            backbone=self.model_id,
            resolved_backbone=self._resolved,
            parameters=params,
            backend="transformers (2D Matryoshka sub-model)",
            device=self._device,
        )
