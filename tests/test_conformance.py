"""Every registered task and system plugin passes the shared conformance checks."""

from __future__ import annotations

import pytest

from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.testing import check_system_plugin, check_task_plugin


@pytest.mark.parametrize("name", TASKS.names())
def test_task_plugin_conforms(name: str) -> None:
    check_task_plugin(TASKS.get(name))


@pytest.mark.parametrize("name", SYSTEMS.names())
def test_system_plugin_conforms(name: str) -> None:
    check_system_plugin(SYSTEMS.get(name))


def test_conformance_catches_a_broken_plugin() -> None:
    from ir_harness.task import Task

    class Plain:  # the methods of a task, but not a Task
        family = "x"
        description = "broken"

        def subsets(self) -> list[str]:
            return [""]

    with pytest.raises(AssertionError, match="not a subclass of ir_harness.task.Task"):
        check_task_plugin(Plain)

    class NoSpec(Task):
        family = "x"
        description = "broken"

        def subsets(self) -> list[str]:
            return [""]

    with pytest.raises(NotImplementedError):
        check_task_plugin(NoSpec)


def test_conformance_catches_an_attribute_that_shadows_a_protocol_method() -> None:
    """An option stored as ``self.rerank = True`` passes ``isinstance(x, Reranker)``."""
    from ir_harness.protocols import SystemMeta

    class BadRetriever:
        def __init__(self) -> None:
            self.rerank = True  # an option, not the Reranker method

        def meta(self) -> SystemMeta:
            return SystemMeta(name="bad")

        def index(self, corpus: object, ctx: object) -> None: ...

        def search(self, queries: object, k: int, ctx: object) -> dict:
            return {}

    with pytest.raises(AssertionError, match=r"shadow protocol method\(s\) Reranker\.rerank"):
        check_system_plugin(BadRetriever)


def test_lattice_with_rerank_is_not_taken_for_a_reranker() -> None:
    from ir_harness.protocols import Reranker, Retriever
    from ir_harness.systems.lattice.system import Lattice

    s = Lattice(rerank=True)
    assert isinstance(s, Retriever) and not isinstance(s, Reranker)
    assert s.meta().parameters["rerank"] is True
