"""Starbucks 2D Matryoshka training (``harness train --method starbucks``): the inner loss on
every (layers, dims) sub-model plus a KL term pulling each sub-model towards the full one, on
retrieval batches or on STS pairs.

Registered in ``systems/plugins.toml`` under ``[training_methods]``; the training loop knows it
only as a ``DenseMethod``. torch is imported inside the functions, so building ``harness train
--help`` (which reads every method's options) stays cheap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.train.data import STSExample
from ir_harness.train.methods import DenseMethod
from ir_harness.train.options import NoOptions, opt

if TYPE_CHECKING:
    import random
    from collections.abc import Callable, Sequence

    import torch


class StarbucksOptions(NoOptions):
    """Starbucks 2D Matryoshka: the sub-models and the KL term."""

    starbucks_pairs: str | None = opt(None, "LAYERSxDIM list; default scales to the backbone")
    kl_weight: float = opt(1.0)
    kl_temperature: float = opt(1.0)
    sts_kl: str = opt(
        "embedding",
        "starbucks on STS: embedding (authors': KL over embedding coordinates, "
        "weight --sts-kl-weight, not detached) or scores (KL over score rows, --kl-weight)",
    )
    sts_kl_weight: float = opt(0.3, "weight of the embedding KL (authors': 0.3 x 1)")


def parse_pairs(spec: str | list[list[int]] | None) -> list[list[int]] | None:
    """``"2x32,4x64"`` -> [[2, 32], [4, 64]] (a list is taken as already parsed)."""
    if not spec:
        return None
    if not isinstance(spec, str):
        return [[int(a), int(b)] for a, b in spec]
    out = []
    for part in spec.split(","):
        a, sep, b = part.strip().partition("x")
        if not sep or not a.isdigit() or not b.isdigit():
            raise ConfigError(f"--starbucks-pairs {spec!r}: expected LAYERSxDIM,... e.g. 2x32,4x64")
        out.append([int(a), int(b)])
    return out


def starbucks_loss(
    sub_scores: Sequence[torch.Tensor],
    full_scores: torch.Tensor,
    inner: Callable[[torch.Tensor], torch.Tensor],
    kl_weight: float = 1.0,
    kl_temperature: float = 1.0,
    include_full: bool = True,
) -> torch.Tensor:
    """Sum over (layers, dims) sub-models of inner(sub) + kl_weight * KL(full || sub).

    ``sub_scores`` holds each sub-model's score matrix; ``inner`` is the per-pair loss (in-batch
    contrastive for retrieval, CoSENT for STS). The full model's own loss is added once when
    ``include_full`` and the full model is not already in the list.
    """
    from ir_harness.train.losses import kl_to_teacher

    total = inner(full_scores) if include_full else full_scores.sum() * 0.0
    for s in sub_scores:
        total = total + inner(s)
        if kl_weight:
            total = total + kl_weight * kl_to_teacher(full_scores, s, kl_temperature)
    return total


def starbucks_pairs(num_layers: int, hidden: int, n: int = 6) -> list[tuple[int, int]]:
    """The fixed (layers, dims) list scaled to a backbone.

    Starbucks' BERT-base list (2,32) (4,64) (6,128) (8,256) (10,512) (12,768) is what this gives
    for 12 layers x 768: ``n`` evenly spaced depths ending at the full depth, and dims doubling up
    to the largest power of two below the width, then the full width. A 6-layer 384-d model gets
    (1,16) (2,32) (3,64) (4,128) (5,256) (6,384).
    """
    n = max(1, min(n, num_layers))
    layers = [max(1, round(num_layers * (i + 1) / n)) for i in range(n)]
    top = 2 ** (math.ceil(math.log2(hidden)) - 1)  # largest power of two strictly below hidden
    dims = [max(1, top // 2 ** (n - 2 - i)) for i in range(n - 1)] + [hidden]
    return list(zip(layers, dims))


def starbucks(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    """One loss trains every sub-model at once, so any (layers, dims) cut is usable alone."""
    if isinstance(batch[0], STSExample):
        return _sts(stepper, batch)
    return _retrieval(stepper, batch, rng)


def _vec(
    stepper: Any, v: torch.Tensor, dim: int | None = None, cosine: bool = False
) -> torch.Tensor:
    """The model's vector truncated to ``dim``; with ``cosine``, unit length *after* the
    truncation whatever the model's own normalisation (a backbone without a Normalize module,
    e.g. bert-base + mean pooling, would otherwise give dot products of partial vectors)."""
    import torch.nn.functional as F

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
    import torch

    from ir_harness.train import losses as L
    from ir_harness.train.loop import retrieval_batch

    cfg, enc = stepper.cfg, stepper.enc
    q, d, mask = retrieval_batch(batch, cfg.n_negatives, rng)
    mask = mask.to(enc.device)
    targets = torch.arange(len(q), device=enc.device)
    layers = _layers(stepper)
    subs, full, add_full = _sub_scores(
        stepper, enc.layer_embeddings(q, layers), enc.layer_embeddings(d, layers)
    )
    s = cfg.scale
    return starbucks_loss(
        [x * s for x in subs],
        full * s,
        lambda x: L.infonce_loss(x, targets, 1.0, ignore=mask),
        stepper.option("kl_weight"),
        stepper.option("kl_temperature"),
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
    * ``scores`` (this harness's own form, the one retrieval training uses): KL between the
      in-batch score rows of the full model and the sub-model, weight ``kl_weight``,
      temperature ``kl_temperature``, full model detached.
    """
    import torch

    from ir_harness.train import losses as L

    cfg, enc = stepper.cfg, stepper.enc
    layers = _layers(stepper)
    a = enc.layer_embeddings([e.sentence1 for e in batch], layers)
    b = enc.layer_embeddings([e.sentence2 for e in batch], layers)
    subs, full, add_full = _sub_scores(stepper, a, b, cosine=True)
    gold = torch.tensor([e.score for e in batch], device=full.device)
    s = cfg.scale
    if stepper.option("sts_kl") == "scores":
        return starbucks_loss(
            [x * s for x in subs],
            full * s,
            lambda x: L.cosent_loss(torch.diagonal(x) / s, gold, s),
            stepper.option("kl_weight"),
            stepper.option("kl_temperature"),
            include_full=add_full,
        )
    if stepper.option("sts_kl") != "embedding":
        raise ConfigError(f"sts_kl={stepper.option('sts_kl')!r}: expected embedding or scores")
    full_l = enc.num_layers
    teacher = torch.cat([_vec(stepper, a[full_l]), _vec(stepper, b[full_l])])
    total = L.cosent_loss(torch.diagonal(full), gold, s) if add_full else full.sum() * 0.0
    for (n, d), x in zip(stepper.pairs, subs, strict=True):
        total = total + L.cosent_loss(torch.diagonal(x), gold, s)
        if stepper.option("sts_kl_weight") and n != full_l:  # the authors skip the last layer
            student = torch.cat([_vec(stepper, a[n]), _vec(stepper, b[n])])
            total = total + stepper.option("sts_kl_weight") * L.embedding_kl(teacher, student, d)
    return total


def setup(stepper: Any) -> None:
    """The (layers, dims) sub-models, checked against the backbone before the first step."""
    enc = stepper.enc
    pairs = parse_pairs(stepper.option("starbucks_pairs")) or starbucks_pairs(
        enc.num_layers, enc.hidden_size
    )
    stepper.pairs = [(int(a), int(b)) for a, b in pairs]
    for n, d in stepper.pairs:
        if not (1 <= n <= enc.num_layers and 1 <= d <= enc.hidden_size):
            raise ConfigError(
                f"starbucks pair ({n}, {d}) does not fit a {enc.num_layers}-layer "
                f"{enc.hidden_size}-d model"
            )
    if stepper.option("sts_kl") not in ("embedding", "scores"):
        raise ConfigError(
            f"--sts-kl {stepper.option('sts_kl')!r}: expected embedding (authors') or scores"
        )


def record(stepper: Any, sts: bool) -> dict[str, Any]:
    """The sub-models trained and, on STS pairs, which loss form ran (for the model's metadata)."""
    out: dict[str, Any] = {"starbucks_pairs": [list(p) for p in stepper.pairs]}
    if not sts:
        return out
    if stepper.option("sts_kl") == "scores":
        out["sts_loss"] = {
            "form": "scores",
            "inner": "CoSENT on cosine (truncate, then normalise)",
            "kl": "KL(full || sub) over in-batch score rows, full model detached",
            "kl_weight": stepper.option("kl_weight"),
            "kl_temperature": stepper.option("kl_temperature"),
        }
    else:
        out["sts_loss"] = {
            "form": "embedding (Starbucks authors' STS code)",
            "inner": "CoSENT on cosine (truncate, then normalise)",
            "kl": "KL(full || sub) over the first d embedding coordinates, full model not detached",
            "kl_weight": stepper.option("sts_kl_weight"),
        }
    return out


METHOD = DenseMethod(
    "starbucks",
    starbucks,
    sts=True,
    options=StarbucksOptions,
    setup=setup,
    record=record,
)
