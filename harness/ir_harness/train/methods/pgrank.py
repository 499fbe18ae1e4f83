"""PG-Rank: policy-gradient nDCG over Gumbel-sampled rankings of each query's candidates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.train.methods import DenseMethod
from ir_harness.train.options import PGRankOptions

if TYPE_CHECKING:
    import random

    import torch


def pgrank(stepper: Any, batch: list[Any], rng: random.Random) -> torch.Tensor:
    """Optimises sampled nDCG@k, a listwise target the in-batch softmax does not see."""
    import torch

    from ir_harness.train import losses as L
    from ir_harness.train.loop import candidate_set

    cfg, enc = stepper.cfg, stepper.enc
    sets = [candidate_set(e, batch, stepper.option("pg_candidates"), rng) for e in batch]
    keep = [i for i, (texts, _) in enumerate(sets) if len(texts) >= 2]
    if not keep:
        raise ConfigError("pgrank: no query has two or more candidates")
    # one forward for all queries and one for all candidates of the batch
    qv = enc.embed([batch[i].query for i in keep])
    dv = enc.embed([t for i in keep for t in sets[i][0]])
    total, start = [], 0
    for row, i in enumerate(keep):
        texts, gains = sets[i]
        s = (dv[start : start + len(texts)] @ qv[row]).float()
        start += len(texts)
        ranks = L.gumbel_rankings(s * cfg.scale, stepper.option("pg_samples"), stepper.gen)
        g = torch.tensor(gains, device=s.device)
        total.append(L.pgrank_loss(s, g, ranks, stepper.option("pg_k"), cfg.scale))
    return torch.stack(total).mean()


METHOD = DenseMethod("pgrank", pgrank, options=PGRankOptions)
