"""The Task base: abilities are declared, never inferred; get_task splits and looks up once."""

from __future__ import annotations

from typing import ClassVar

import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.registry import TASKS
from harness.task import Task, get_task
from tests.harness.fakes import TinyFamily, TinyTask


def test_get_task_splits_the_name_and_looks_up_the_family() -> None:
    TASKS.register("tiny", TinyTask)
    task, subset = get_task("tiny/rerank/x")
    assert isinstance(task, TinyTask) and subset == "rerank/x"
    assert get_task("tiny")[1] == ""
    with pytest.raises(UnknownNameError, match="did you mean 'tiny'"):
        get_task("tinny/a")


def test_declaring_an_ability_without_its_method_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="declares has_members but does not define family_members"):

        class NoMembers(Task):
            has_members: ClassVar[bool] = True

    with pytest.raises(TypeError, match="runs_itself but does not define custom_run"):

        class NoRun(Task):
            runs_itself: ClassVar[bool] = True


def test_members_come_from_the_declared_ability_only() -> None:
    """A ``family_members`` method without ``has_members`` is not a family (no guessing)."""
    from harness.family import members

    class Undeclared(TinyFamily):
        has_members: ClassVar[bool] = False

    TASKS.register("fam", TinyFamily)
    TASKS.register("undeclared", Undeclared)
    assert members("fam") == ["fam/a", "fam/b"]
    assert members("fam/a") == []
    assert members("undeclared") == []


def test_a_plain_protocol_plugin_still_works_without_abilities() -> None:
    class Plain:
        family = "plain"
        description = "a TaskFamily without the base class"

        def subsets(self) -> list[str]:
            return [""]

        def spec(self, subset: str) -> object:
            return TinyTask().spec(subset)

        def load(self, subset: str, data_dir: object) -> object:
            return TinyTask().load(subset, None)

    TASKS.register("plain", Plain)
    task, _ = get_task("plain")
    assert isinstance(task, Task) and task.family == "plain"
    assert not (task.has_members or task.runs_itself or task.evaluates_files)
    assert task.spec("").main_metric == TinyTask().spec("").main_metric


def test_a_plain_plugin_with_an_undeclared_ability_is_refused() -> None:
    class PlainFamily:
        family = "pf"
        description = "d"

        def subsets(self) -> list[str]:
            return []

        def family_members(self, subset: str = "") -> list[str]:
            return ["a"]

    TASKS.register("pf", PlainFamily)
    with pytest.raises(ConfigError, match="defines family_members.*subclass harness.task.Task"):
        get_task("pf")
