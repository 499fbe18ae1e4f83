"""MW loss: Mann-Whitney (AUC) surrogate over every positive/negative pair of the batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.systems.training import losses as L
from ir_harness.systems.training.methods import DenseMethod

if TYPE_CHECKING:
    import random

    import torch


def mw(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    cfg = stepper.cfg
    scores, _, mask = stepper.in_batch_scores(batch, rng)
    return L.mw_loss(scores.float(), mask, cfg.scale, cfg.mw_chunk, cfg.mw_within_query)


METHOD = DenseMethod("mw", mw)
