"""DeAR distillation: a one-output cross-encoder learns a teacher's scores over groups, as
``harness train --method dear-distill`` (registered in ``systems/plugins.toml``)."""

from __future__ import annotations

from typing import Any

from ir_harness.train.methods import RerankMethodSpec


def build(base_model: str, device: str, **options: Any) -> Any:
    """The student, imported only when a run asks for it (it loads torch and transformers)."""
    from ir_harness.systems.dear.distill import DistillStudent

    return DistillStudent.build(base_model, device, **options)


METHOD = RerankMethodSpec("dear-distill", build)
