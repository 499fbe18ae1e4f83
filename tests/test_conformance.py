"""Every registered task and system plugin passes the shared conformance checks."""

from __future__ import annotations

import pytest

from harness.registry import SYSTEMS, TASKS
from harness.testing import check_system_plugin, check_task_plugin


@pytest.mark.parametrize("name", TASKS.names())
def test_task_plugin_conforms(name: str) -> None:
    check_task_plugin(TASKS.get(name))


@pytest.mark.parametrize("name", SYSTEMS.names())
def test_system_plugin_conforms(name: str) -> None:
    check_system_plugin(SYSTEMS.get(name))


def test_conformance_catches_a_broken_plugin() -> None:
    class NoSpec:
        family = "x"
        description = "broken"

        def subsets(self) -> list[str]:
            return [""]

    with pytest.raises(AssertionError, match="TaskFamily"):
        check_task_plugin(NoSpec)
