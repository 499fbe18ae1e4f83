"""MVP: multi-view reranker trained on teacher-scored groups (views plus orthogonality)."""

from __future__ import annotations

from typing import Any

from ir_harness.systems.training.methods import RerankMethodSpec


def build(base_model: str, device: str, **options: Any) -> Any:
    from ir_harness.systems.mvp.train import MVPTrainer

    return MVPTrainer.build(base_model, device, **options)


METHOD = RerankMethodSpec("mvp", build)
