"""Conformance checks every task and system plugin must pass (third parties call these too).

Usage in a plugin's own tests::

    from harness.testing import check_system_plugin, check_task_plugin
    def test_my_task(): check_task_plugin(MyTask)
"""

from __future__ import annotations

from typing import Any

from harness.protocols import Embedder, Reranker, Retriever, SystemMeta
from harness.spec import TaskSpec
from harness.task import TaskFamily


def check_task_plugin(cls: Any) -> None:
    """A task family: has a name and description, and every listed subset has a valid spec."""
    task = cls()
    assert isinstance(task, TaskFamily), (
        f"{cls} does not implement TaskFamily (family, description, subsets, spec, load)"
    )
    assert isinstance(cls.family, str) and cls.family and "/" not in cls.family, (
        "family must be a non-empty name without '/'"
    )
    assert isinstance(cls.description, str) and cls.description, (
        "description must be a non-empty string"
    )
    subsets = task.subsets()
    assert isinstance(subsets, list) and all(isinstance(s, str) for s in subsets)
    for subset in subsets:
        spec = task.spec(subset)
        assert isinstance(spec, TaskSpec), f"{cls.family}/{subset}: spec() must return a TaskSpec"
        assert spec.family == cls.family, f"{cls.family}/{subset}: spec.family is {spec.family!r}"
        expected = f"{cls.family}/{subset}" if subset else cls.family
        assert spec.name == expected, f"spec.name {spec.name!r} should be {expected!r}"
        assert spec.main_metric in spec.metrics


def check_system_plugin(factory: Any) -> None:
    """A system: constructible without arguments and without loading weights; implements a protocol."""
    system = factory()
    assert isinstance(system, (Retriever, Reranker, Embedder)), (
        f"{factory} implements none of Retriever, Reranker, Embedder"
    )
    meta = system.meta()
    assert isinstance(meta, SystemMeta) and meta.name, "meta() must return a SystemMeta with a name"
