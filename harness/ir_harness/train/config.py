"""The settings every ``harness train`` method shares (no torch import: the CLI reads it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class OptimConfig:
    """What every ``harness train`` method shares: the run's identity and its optimiser."""

    method: str
    base_model: str
    out: str
    steps: int = 100
    batch_size: int = 16
    lr: float = 2e-5
    warmup: float = 0.1
    weight_decay: float = 0.01
    grad_clip: float = 1.0
