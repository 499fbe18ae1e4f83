"""MW loss: Mann-Whitney (AUC) surrogate over every positive/negative pair of the batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.train.methods import DenseMethod
from ir_harness.train.options import MWOptions

if TYPE_CHECKING:
    import random

    import torch


def mw(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    """Optimises the AUC of the in-batch scores directly, chunked to bound memory."""
    from ir_harness.train import losses as L

    scores, _, mask = stepper.in_batch_scores(batch, rng)
    return L.mw_loss(
        scores.float(),
        mask,
        stepper.cfg.scale,
        stepper.option("mw_chunk"),
        stepper.option("mw_within_query"),
    )


METHOD = DenseMethod("mw", mw, options=MWOptions)
