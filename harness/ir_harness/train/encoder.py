"""A trainable view of a sentence-transformers model that also exposes every layer's pooled output.

Training and Starbucks grids need what ``SentenceTransformer.encode`` hides: gradients, and the
hidden states of all layers from one forward pass. We drive the underlying Hugging Face model
and the folder's own pooling (mean or CLS) ourselves, and save through sentence-transformers so
a checkpoint stays a normal folder that ``--system dense --model PATH`` loads.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence


def pool(hidden: torch.Tensor, mask: torch.Tensor, mode: str) -> torch.Tensor:
    """Sentence vector from token vectors: masked mean or the first ([CLS]) token."""
    if mode == "cls":
        return hidden[:, 0]
    if mode == "mean":
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    raise ValueError(f"pooling {mode!r} is not supported (mean or cls)")


class Encoder:
    """Wraps a loaded ``SentenceTransformer``: tokenise, run, pool, optionally truncate."""

    def __init__(
        self,
        st: Any,
        pooling: str | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
    ) -> None:
        self.st = st
        self.transformer = st[0]
        self.model = self.transformer.auto_model
        self.tokenizer = self.transformer.processor
        if pooling:
            self.pooling = pooling
        elif len(st) > 1:
            self.pooling = str(getattr(st[1], "pooling_mode", "mean"))
        else:  # a bare Hugging Face folder (e.g. a Tevatron checkpoint): CLS, as Tevatron pools
            self.pooling = "cls"
        has_norm = any(type(m).__name__ == "Normalize" for m in st)
        self.normalize = has_norm if normalize is None else normalize
        self.max_length = max_length or st.max_seq_length or 512

    @classmethod
    def load(cls, path: str, device: str = "cpu", **kw: Any) -> Encoder:
        """A sentence-transformers model (folder or hub id) on ``device``, for training and search."""
        from sentence_transformers import SentenceTransformer

        return cls(SentenceTransformer(path, device=device), **kw)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def num_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Padded model inputs for ``texts``, truncated at ``max_length``."""
        enc = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {k: v.to(self.device) for k, v in enc.items()}

    def layer_embeddings(
        self, texts: Sequence[str], layers: Sequence[int] | None = None
    ) -> dict[int, torch.Tensor]:
        """Pooled, unnormalised sentence vectors after each of ``layers`` (default: all), from
        one forward pass. Index n is the output of layer n (0 = the embedding layer)."""
        enc = self.tokenize(texts)
        out = self.model(**enc, output_hidden_states=True)
        hs = out.hidden_states
        wanted = range(1, len(hs)) if layers is None else layers
        return {n: pool(hs[n], enc["attention_mask"], self.pooling) for n in wanted}

    def embed(self, texts: Sequence[str], dim: int | None = None) -> torch.Tensor:
        """Full-depth sentence vectors, truncated to ``dim`` then normalised when the model is."""
        enc = self.tokenize(texts)
        out = self.model(**enc)
        v = pool(out.last_hidden_state, enc["attention_mask"], self.pooling)
        return self.finish(v, dim)

    def finish(self, v: torch.Tensor, dim: int | None = None) -> torch.Tensor:
        """Matryoshka truncation to the first ``dim`` coordinates, then L2 normalisation."""
        if dim:
            v = v[..., :dim]
        return F.normalize(v, dim=-1) if self.normalize else v

    @contextmanager
    def truncated(self, layers: int) -> Iterator[None]:
        """Temporarily keep only the first ``layers`` transformer blocks (a real sub-model, as
        Starbucks' own inference builds it); restored on exit."""
        blocks = _blocks(self.model)
        if layers < 1 or layers > len(blocks):
            raise ValueError(f"layers={layers}: the model has {len(blocks)} layers")
        owner, name = _blocks_owner(self.model)
        full = getattr(owner, name)
        setattr(owner, name, torch.nn.ModuleList(list(full)[:layers]))
        cfg = self.model.config
        saved = cfg.num_hidden_layers
        cfg.num_hidden_layers = layers
        try:
            yield
        finally:
            setattr(owner, name, full)
            cfg.num_hidden_layers = saved

    def save(self, path: str) -> None:
        """Writes a sentence-transformers folder that ``--system dense`` loads as is."""
        self.st.save(path)


def _blocks_owner(model: Any) -> tuple[Any, str]:
    enc = getattr(model, "encoder", None)
    if enc is not None and hasattr(enc, "layer"):
        return enc, "layer"
    if hasattr(model, "layers"):
        return model, "layers"
    raise ValueError(f"cannot find the transformer blocks of {type(model).__name__}")


def _blocks(model: Any) -> torch.nn.ModuleList:
    owner, name = _blocks_owner(model)
    return getattr(owner, name)
