"""Conformance checks every task and system plugin must pass (third parties call these too).

Usage in a plugin's own tests::

    from ir_harness.testing import check_system_plugin, check_task_plugin
    def test_my_task(): check_task_plugin(MyTask)
"""

from __future__ import annotations

from typing import Any

from ir_harness.data.spec import TaskSpec
from ir_harness.protocols import Embedder, Reranker, Retriever, SystemMeta
from ir_harness.task import Task


def check_task_plugin(cls: Any) -> None:
    """A task family: a ``Task`` (or task kind) subclass with a name and description, and every
    listed subset has a valid spec."""
    assert isinstance(cls, type) and issubclass(cls, Task), (
        f"{cls} is not a subclass of ir_harness.task.Task: subclass Task or one of its kinds "
        "(ir_harness.task_kinds, ir_harness.self_running)"
    )
    task = cls()
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


SYSTEM_PROTOCOLS: tuple[type, ...] = (Retriever, Reranker, Embedder)


def protocol_methods(protocol: type) -> list[str]:
    """The method names a protocol declares (what ``isinstance`` on a runtime protocol checks)."""
    return sorted(n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_"))


def shadowed_protocol_methods(
    system: Any, protocols: tuple[type, ...] = SYSTEM_PROTOCOLS
) -> list[str]:
    """``"Protocol.name"`` for every protocol method the system has as a non-callable attribute.

    A runtime-checkable protocol only checks that the names exist, so an option stored as
    ``self.rerank = True`` makes any object pass for a Reranker and crash when called.
    """
    return [
        f"{p.__name__}.{name}"
        for p in protocols
        for name in protocol_methods(p)
        if hasattr(system, name) and not callable(getattr(system, name))
    ]


def check_system_plugin(factory: Any) -> None:
    """A system: constructible without arguments and without loading weights; implements a protocol."""
    system = factory()
    shadowed = shadowed_protocol_methods(system)
    assert not shadowed, (
        f"{factory}: non-callable attribute(s) shadow protocol method(s) {', '.join(shadowed)}; "
        "rename the attribute (isinstance checks would take the system for what it is not)"
    )
    assert isinstance(system, (Retriever, Reranker, Embedder)), (
        f"{factory} implements none of Retriever, Reranker, Embedder"
    )
    meta = system.meta()
    assert isinstance(meta, SystemMeta) and meta.name, "meta() must return a SystemMeta with a name"
