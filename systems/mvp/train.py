"""MVP's training recipe (the paper's) as a ``RerankMethod`` for ``harness train --method mvp``.

Groups of 5 candidates (the positive and 4 teacher-scored negatives); the teacher order comes
from the teacher's scores with the positive forced to rank 1, and the positive is moved to a
random slot. Loss = listwise soft-target CE (T = 0.8; ``double_softmax`` replicates the authors'
log-softmax-of-softmax, ``-o double_softmax=false`` is the clean version) + ``orth_weight`` x
orthogonality of the anchors. Authors' run: lr 1e-4, linear schedule, batch 32, 1 epoch, L 256.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import torch

from ir_harness.errors import ConfigError
from ir_harness.systems.mvp.model import (
    MVPModel,
    listwise_loss,
    orthogonal_loss,
    rank_targets,
    save_mvp,
)

if TYPE_CHECKING:
    from ir_harness.train.api import Group


def teacher_ranks(teacher: list[float]) -> list[int]:
    """1-based ranks by teacher score, the positive (index 0) forced to rank 1."""
    order = [0] + sorted(range(1, len(teacher)), key=lambda i: -teacher[i])
    ranks = [0] * len(teacher)
    for r, i in enumerate(order, start=1):
        ranks[i] = r
    return ranks


class MVPTrainer:
    """The paper's MVP recipe behind ``RerankMethod``: groups of a positive and teacher-ranked
    negatives, listwise CE plus orthogonality."""

    def __init__(
        self,
        model: MVPModel,
        tokenizer: Any,
        device: str,
        group_size: int = 5,
        temperature: float = 0.8,
        orth_weight: float = 1.0,
        double_softmax: bool = True,
        max_length: int = 256,
        seed: int = 0,
    ) -> None:
        if group_size < 2:
            raise ConfigError("mvp: group_size >= 2")
        self.model, self.tok, self.device = model, tokenizer, device
        self.group_size, self.temperature, self.orth_weight = group_size, temperature, orth_weight
        self.double_softmax, self.max_length = double_softmax, max_length
        self.rng = random.Random(seed)

    @classmethod
    def build(cls, base_model: str, device: str, n_views: int = 4, **options: Any) -> MVPTrainer:
        """From a plain T5 (``t5-base``: the paper's start) or an MVP checkpoint."""
        from ir_harness.systems.mvp.model import load_mvp

        model, tok, _ = load_mvp(base_model, n_views)
        return cls(model.to(device), tok, device, **options)

    def parameters(self) -> list[torch.nn.Parameter]:
        """Every weight of the MVP model, for the training loop's optimiser."""
        return list(self.model.parameters())

    def train(self, mode: bool = True) -> Any:
        """Train or eval mode (dropout) of the model, as ``nn.Module.train``, for the loop."""
        return self.model.train(mode)

    def batch(self, groups: list[Group]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Token ids (B, n, L) with the positive shuffled to a random slot, and teacher ranks."""
        ids, masks, ranks = [], [], []
        width = 0
        for g in groups:
            perm = list(range(len(g.docs)))
            self.rng.shuffle(perm)
            r = teacher_ranks(g.teacher)
            docs = [(g.docs[i].title, g.docs[i].text) for i in perm]
            enc = self.model.inputs(self.tok, g.query, docs, self.max_length)
            ids.append(enc["input_ids"])
            masks.append(enc["attention_mask"])
            ranks.append([r[i] for i in perm])
            width = max(width, enc["input_ids"].size(1))
        pad = self.tok.pad_token_id
        ids = [torch.nn.functional.pad(x, (0, width - x.size(1)), value=pad) for x in ids]
        masks = [torch.nn.functional.pad(x, (0, width - x.size(1)), value=0) for x in masks]
        inputs = {
            "input_ids": torch.stack(ids).to(self.device),
            "attention_mask": torch.stack(masks).to(self.device),
        }
        return inputs, torch.tensor(ranks, device=self.device)

    def loss(self, groups: list[Group]) -> torch.Tensor:
        """Listwise soft-target CE on the teacher ranks + ``orth_weight`` x anchor orthogonality."""
        inputs, ranks = self.batch(groups)
        scores, _, anchors = self.model(**inputs)
        targets = rank_targets(ranks, self.temperature)
        main = listwise_loss(scores.float(), targets, self.temperature, self.double_softmax)
        return main + self.orth_weight * orthogonal_loss(anchors.float())

    def save(self, out: str) -> None:
        """A checkpoint folder the ``mvp`` system loads with ``--model`` (``save_mvp``)."""
        save_mvp(self.model, self.tok, out)
