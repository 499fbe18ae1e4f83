"""MVP: multi-view reranker trained on teacher-scored groups (views plus orthogonality), as
``harness train --method mvp`` (registered in ``systems/plugins.toml``)."""

from __future__ import annotations

from typing import Any

from ir_harness.train.methods import RerankMethodSpec


def build(base_model: str, device: str, **options: Any) -> Any:
    """The trainer, imported only when a run asks for it (it loads torch and transformers)."""
    from ir_harness.systems.mvp.train import MVPTrainer

    return MVPTrainer.build(base_model, device, **options)


# MVP's own defaults: a T5 start model, groups of five teacher-scored documents, and the
# run's --seed passed on as its seed option.
METHOD = RerankMethodSpec("mvp", build, default_model="t5-base", group_size=5, seeded=True)
