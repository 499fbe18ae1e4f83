"""InfoNCE: in-batch softmax over each query's scores, the sampled positive as the target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.train.methods import DenseMethod

if TYPE_CHECKING:
    import random

    import torch


def infonce(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    """The sentence-transformers MNRL loss, the baseline every other method is measured against."""
    from ir_harness.train import losses as L

    scores, targets, mask = stepper.in_batch_scores(batch, rng)
    return L.infonce_loss(scores.float(), targets, stepper.cfg.scale, ignore=mask)


METHOD = DenseMethod("infonce", infonce)
