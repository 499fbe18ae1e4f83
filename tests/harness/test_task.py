"""The Task base: abilities are declared, never inferred; get_task splits and looks up once."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import pytest

from ir_harness.errors import ConfigError, UnknownNameError
from ir_harness.registry import TASKS
from ir_harness.task import Task, get_task
from tests.harness.fakes import TinyFamily, TinyTask

if TYPE_CHECKING:
    from pathlib import Path


def test_get_task_splits_the_name_and_looks_up_the_family() -> None:
    TASKS.register("tiny", TinyTask)
    task, subset = get_task("tiny/rerank/x")
    assert isinstance(task, TinyTask) and subset == "rerank/x"
    assert get_task("tiny")[1] == ""
    with pytest.raises(UnknownNameError, match="did you mean 'tiny'"):
        get_task("tinny/a")


def test_declaring_an_ability_without_its_method_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="runs_itself but does not define custom_run"):

        class NoRun(Task):
            runs_itself: ClassVar[bool] = True


def test_members_come_from_the_tasks_own_method_and_the_base_has_none() -> None:
    """A family is a task that overrides ``family_members``; no flag says so beside it."""
    from ir_harness.eval.family import members

    TASKS.register("fam", TinyFamily)
    TASKS.register("single", TinyTask)
    assert members("fam") == ["fam/a", "fam/b"]
    assert members("fam/a") == []
    assert members("single") == []
    assert not hasattr(Task, "has_members")


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
    assert not (task.family_members() or task.runs_itself or task.evaluates_files)
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
    with pytest.raises(ConfigError, match="defines family_members.*subclass ir_harness.task.Task"):
        get_task("pf")


def test_eval_dispatches_on_declared_file_abilities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``harness eval`` uses a task's own scorer only when declared, and ``--run-set`` only where
    ``takes_run_set`` is declared (the old code read the method's signature)."""
    import json
    import sys

    from ir_harness.cli import main
    from ir_harness.task import CustomResult

    class LabelTask(TinyTask):
        evaluates_files: ClassVar[bool] = True

        def evaluate_file(  # accepts run_set, but does not declare takes_run_set
            self, subset: str, path: Path, data_dir: Path | None, run_set: Path | None = None
        ) -> CustomResult:
            return CustomResult(metrics={"ndcg@10": 0.5, "recall@2": 0.0}, n_items=3)

    TASKS.register("labels", LabelTask)
    f = tmp_path / "labels.txt"
    f.write_text("q1 0 d1 1\n")

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["harness", *args])
        with pytest.raises(SystemExit) as e:
            main()
            raise SystemExit(0)
        out = capsys.readouterr()
        return int(e.value.code or 0), out.out, out.err

    code, out, _ = invoke("eval", str(f), "--task", "labels", "--json")
    assert code == 0 and json.loads(out)["main_score"] == 0.5
    code, _, err = invoke("eval", str(f), "--task", "labels", "--run-set", str(tmp_path))
    assert code == 2 and "takes no --run-set" in err
