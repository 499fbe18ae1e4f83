"""The MVP network as in the authors' code: view tokens, one decoding step per view, dot scores.

Each candidate is encoded on its own with m view tokens ``<extra_id_0..m-1>`` at positions
0..m-1; their encoder states e_{i,k} are the relevance vectors. For each view k the decoder runs
once, from the decoder-start (pad) embedding, cross-attending to {e_{1,k} .. e_{n,k}} with no
positional signal across candidates, and yields the anchor a_k. Then s_{i,k} = a_k . e_{i,k} and
s_i = mean_k s_{i,k}: the scores do not depend on the order of the candidates.

The released checkpoints were saved from the authors' FiD wrapper (``encoder.encoder.block.N.
module.*``); ``inputs.remap_fid_keys`` maps them onto a plain ``T5ForConditionalGeneration``, which is
also what a plain ``t5-base`` starts from and what ``harness train --method mvp`` saves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ir_harness.errors import ConfigError

MVP_FILE = "mvp_config.json"


class MVPModel(nn.Module):
    """An encoder-decoder used the MVP way; ``forward`` gives (scores, per-view, anchors).

    ``backbone`` is a ``T5Backbone`` (the paper's) or a ``Bert2BertBackbone`` (an encoder-only
    checkpoint used as encoder and, with new cross-attention, as decoder: for offline work)."""

    def __init__(self, backbone: Any, n_views: int = 4) -> None:
        super().__init__()
        if n_views < 1:
            raise ConfigError("mvp: n_views >= 1")
        self.backbone = backbone
        self.n_views = n_views

    def relevance_vectors(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """(n, L) token ids of n candidates -> (n, m, d) encoder states at the view positions."""
        hidden = self.backbone.encode(input_ids, attention_mask)
        off = self.backbone.view_offset
        return hidden[:, off : off + self.n_views]

    def anchors(self, rel: torch.Tensor) -> torch.Tensor:
        """(B, n, m, d) relevance vectors -> (B, m, d) anchors, one decoder step per view."""
        b, n, m, d = rel.shape
        memory = rel.permute(0, 2, 1, 3).reshape(b * m, n, d)
        return self.backbone.decode_start(memory).view(b, m, d)

    def score_vectors(self, rel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, n, m, d) -> scores (B, n) = mean over views, per-view (B, m, n), anchors (B, m, d)."""
        a = self.anchors(rel)
        per_view = torch.einsum("bmd,bnmd->bmn", a, rel)
        return per_view.mean(dim=1), per_view, a

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, n, L) ids of B lists of n candidates -> see ``score_vectors``."""
        b, n, length = input_ids.shape
        rel = self.relevance_vectors(
            input_ids.view(b * n, length), attention_mask.view(b * n, length)
        )
        return self.score_vectors(rel.view(b, n, self.n_views, -1))

    def inputs(
        self, tokenizer: Any, query: str, docs: list[tuple[str, str]], max_length: int
    ) -> dict[str, torch.Tensor]:
        """Token ids (n, L) of one query's candidates, view tokens where the backbone reads them."""
        return self.backbone.inputs(tokenizer, query, docs, self.n_views, max_length)


# ---------------------------------------------------------------- losses (the paper's)
def rank_targets(ranks: torch.Tensor, temperature: float = 0.8) -> torch.Tensor:
    """Soft targets from teacher ranks (1 = best): softmax_i((1 / r_i) / T)."""
    return F.softmax((1.0 / ranks.float()) / temperature, dim=-1)


def listwise_loss(
    scores: torch.Tensor,
    targets: torch.Tensor,
    temperature: float = 0.8,
    double_softmax: bool = True,
) -> torch.Tensor:
    """Soft-target cross-entropy of softmax(s / T). ``double_softmax`` replicates the authors'
    code, which hands the *probabilities* to ``CrossEntropyLoss`` (log-softmax of a softmax)."""
    logits = scores / temperature
    if double_softmax:
        logits = F.softmax(logits, dim=-1)
    return F.cross_entropy(logits, targets)


def orthogonal_loss(anchors: torch.Tensor) -> torch.Tensor:
    """mean over the batch of ||A A^T - I||_F^2 for row-normalised anchors A (m x d)."""
    a = F.normalize(anchors, p=2, dim=-1)
    eye = torch.eye(a.size(1), device=a.device, dtype=a.dtype)
    return ((a @ a.transpose(1, 2) - eye) ** 2).sum(dim=(1, 2)).mean()


# ---------------------------------------------------------------- loading
def _local_dir(resolved: str) -> Path:
    if Path(resolved).is_dir():
        return Path(resolved)
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            resolved, allow_patterns=["*.json", "*.safetensors", "*.bin", "*.model", "*.txt"]
        )
    )


def _read_state(folder: Path) -> dict[str, torch.Tensor]:
    files = sorted(folder.glob("*.safetensors"))
    state: dict[str, torch.Tensor] = {}
    if files:
        from safetensors.torch import load_file

        for f in files:
            state.update(load_file(str(f)))
        return state
    for f in sorted(folder.glob("pytorch_model*.bin")):
        state.update(torch.load(f, map_location="cpu", weights_only=True))
    if not state:
        raise ConfigError(f"mvp: no weights (*.safetensors, pytorch_model*.bin) in {folder}")
    return state


def load_mvp(
    model_id: str, n_views: int | None = None, dtype: torch.dtype | None = None
) -> tuple[MVPModel, Any, str]:
    """(model, tokenizer, resolved folder) for a released MVP checkpoint, an MVP folder saved by
    ``harness train --method mvp``, a plain T5 (untrained for ranking: view tokens only), or an
    encoder-only checkpoint (BERT family) turned into a bert2bert MVP to train offline."""
    from transformers import AutoConfig, AutoTokenizer

    from ir_harness.models import resolve_model
    from ir_harness.systems.mvp.backbone import Bert2BertBackbone, T5Backbone

    folder = _local_dir(resolve_model(model_id))
    meta_file = folder / MVP_FILE
    saved = json.loads(meta_file.read_text("utf-8")) if meta_file.exists() else {}
    kind = saved.get("backbone")
    if kind is None:
        model_type = AutoConfig.from_pretrained(folder).model_type
        kind = "t5" if model_type == "t5" else "bert2bert"
    tok = AutoTokenizer.from_pretrained(folder)
    if kind == "t5":
        backbone: Any = T5Backbone.load(folder, _read_state(folder))
    elif kind == "bert2bert":
        backbone = Bert2BertBackbone.load(folder, saved=bool(saved), tokenizer=tok)
    else:
        raise ConfigError(f"mvp: {meta_file}: unknown backbone {kind!r} (t5 or bert2bert)")
    if dtype is not None:
        backbone.to(dtype=dtype)
    views = n_views or saved.get("n_views") or 4
    return MVPModel(backbone, views).eval(), tok, str(folder)


def save_mvp(model: MVPModel, tokenizer: Any, out: str) -> None:
    """Weights, tokenizer and ``mvp_config.json`` (view count, backbone kind) in ``out``, so
    ``load_mvp`` rebuilds the same model without being told either."""
    model.backbone.save(out)
    tokenizer.save_pretrained(out)
    meta = {"n_views": model.n_views, "backbone": model.backbone.kind}
    (Path(out) / MVP_FILE).write_text(json.dumps(meta), encoding="utf-8")
