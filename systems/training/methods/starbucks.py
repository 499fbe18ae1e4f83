"""Starbucks 2D Matryoshka: the inner loss on every (layers, dims) sub-model plus a KL term
pulling each sub-model towards the full one; on retrieval batches or on STS pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ir_harness.errors import ConfigError
from ir_harness.systems.training import losses as L
from ir_harness.systems.training.data import STSExample
from ir_harness.systems.training.methods import DenseMethod

if TYPE_CHECKING:
    import random


def starbucks(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    if isinstance(batch[0], STSExample):
        return _sts(stepper, batch)
    return _retrieval(stepper, batch, rng)


def _vec(
    stepper: Any, v: torch.Tensor, dim: int | None = None, cosine: bool = False
) -> torch.Tensor:
    """The model's vector truncated to ``dim``; with ``cosine``, unit length *after* the
    truncation whatever the model's own normalisation (a backbone without a Normalize module,
    e.g. bert-base + mean pooling, would otherwise give dot products of partial vectors)."""
    v = stepper.enc.finish(v, dim)
    return F.normalize(v, dim=-1) if cosine and not stepper.enc.normalize else v


def _sub_scores(
    stepper: Any, a: dict[int, torch.Tensor], b: dict[int, torch.Tensor], cosine: bool = False
) -> tuple[list[torch.Tensor], torch.Tensor, bool]:
    full_l, full_d = stepper.enc.num_layers, stepper.enc.hidden_size
    subs = [
        (_vec(stepper, a[n], d, cosine) @ _vec(stepper, b[n], d, cosine).T).float()
        for n, d in stepper.pairs
    ]
    full = (
        _vec(stepper, a[full_l], None, cosine) @ _vec(stepper, b[full_l], None, cosine).T
    ).float()
    return subs, full, (full_l, full_d) not in stepper.pairs


def _layers(stepper: Any) -> list[int]:
    return sorted({n for n, _ in stepper.pairs} | {stepper.enc.num_layers})


def _retrieval(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    from ir_harness.systems.training.loop import retrieval_batch

    cfg, enc = stepper.cfg, stepper.enc
    q, d, mask = retrieval_batch(batch, cfg.n_negatives, rng)
    mask = mask.to(enc.device)
    targets = torch.arange(len(q), device=enc.device)
    layers = _layers(stepper)
    subs, full, add_full = _sub_scores(
        stepper, enc.layer_embeddings(q, layers), enc.layer_embeddings(d, layers)
    )
    s = cfg.scale
    return L.starbucks_loss(
        [x * s for x in subs],
        full * s,
        lambda x: L.infonce_loss(x, targets, 1.0, ignore=mask),
        cfg.kl_weight,
        cfg.kl_temperature,
        include_full=add_full,
    )


def _sts(stepper: Any, batch: list[STSExample]) -> torch.Tensor:
    """Starbucks on STS pairs: CoSENT on the true cosine of every (layers, dims) sub-model
    (truncate, then normalise, as the grid evaluation scores it), plus a KL term per
    sub-model in one of two forms (``sts_kl``):

    * ``embedding`` (default, the authors' code): KL(softmax(full[:, :d]) ||
      softmax(sub[:, :d])) over the embedding coordinates of every sentence of the batch,
      weight ``sts_kl_weight`` (0.3 = their kl_temperature 0.3 x kl_div_weight 1), the full
      model not detached;
    * ``scores`` (this harness's earlier form, also used for retrieval): KL between the
      in-batch score rows of the full model and the sub-model, weight ``kl_weight``,
      temperature ``kl_temperature``, full model detached.
    """
    cfg, enc = stepper.cfg, stepper.enc
    layers = _layers(stepper)
    a = enc.layer_embeddings([e.sentence1 for e in batch], layers)
    b = enc.layer_embeddings([e.sentence2 for e in batch], layers)
    subs, full, add_full = _sub_scores(stepper, a, b, cosine=True)
    gold = torch.tensor([e.score for e in batch], device=full.device)
    s = cfg.scale
    if cfg.sts_kl == "scores":
        return L.starbucks_loss(
            [x * s for x in subs],
            full * s,
            lambda x: L.cosent_loss(torch.diagonal(x) / s, gold, s),
            cfg.kl_weight,
            cfg.kl_temperature,
            include_full=add_full,
        )
    if cfg.sts_kl != "embedding":
        raise ConfigError(f"sts_kl={cfg.sts_kl!r}: expected embedding or scores")
    full_l = enc.num_layers
    teacher = torch.cat([_vec(stepper, a[full_l]), _vec(stepper, b[full_l])])
    total = L.cosent_loss(torch.diagonal(full), gold, s) if add_full else full.sum() * 0.0
    for (n, d), x in zip(stepper.pairs, subs, strict=True):
        total = total + L.cosent_loss(torch.diagonal(x), gold, s)
        if cfg.sts_kl_weight and n != full_l:  # the authors skip the last layer
            student = torch.cat([_vec(stepper, a[n]), _vec(stepper, b[n])])
            total = total + cfg.sts_kl_weight * L.embedding_kl(teacher, student, d)
    return total


METHOD = DenseMethod("starbucks", starbucks, sts=True)
