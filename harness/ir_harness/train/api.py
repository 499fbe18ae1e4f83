"""Types shared by the reranker training loop and the recipes that live with their systems.

``rerank_train`` builds groups and runs the loop; ``ir_harness.systems.dear.distill`` and
``ir_harness.systems.mvp.train`` implement :class:`RerankMethod` over :class:`Group`. Both sides import these
types from here, so the recipes never import the loop that loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch

    from ir_harness.data.model import Document


@dataclass
class Group:
    """One sampled group: the positive at index 0, then negatives, with teacher scores."""

    query: str
    docs: list[Document]
    teacher: list[float]


class RerankMethod(Protocol):
    """What a reranker recipe gives the loop: its trainable model, a loss, a way to save."""

    group_size: int

    def parameters(self) -> list[torch.nn.Parameter]:
        """The weights the loop's optimiser updates (frozen ones may be among them)."""

    def train(self, mode: bool = True) -> Any:
        """Train or eval mode (dropout), as ``nn.Module.train``: on for training, off after."""

    def loss(self, groups: list[Group]) -> torch.Tensor:
        """A scalar loss over a batch of groups (positive at index 0) for the loop to minimise."""

    def save(self, out: str) -> None:
        """A folder the matching system loads with ``--model out``."""
