"""DeAR distillation: a one-output cross-encoder learns a teacher's scores over groups."""

from __future__ import annotations

from typing import Any

from ir_harness.systems.training.methods import RerankMethodSpec


def build(base_model: str, device: str, **options: Any) -> Any:
    from ir_harness.systems.dear.distill import DistillStudent

    return DistillStudent.build(base_model, device, **options)


METHOD = RerankMethodSpec("dear-distill", build)
