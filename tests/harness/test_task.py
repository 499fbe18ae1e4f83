"""The Task base and its kinds: how a task runs and scores is its kind, never a flag; get_task
splits and looks up once, and refuses what is not a Task."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import pytest

from ir_harness.errors import ConfigError, UnknownNameError
from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.self_running import JudgeMetaEvaluationTask, SelfRunningTask
from ir_harness.task import Scores, Task, get_task
from tests.harness.fakes import OverlapRetriever, TinyFamily, TinyTask

if TYPE_CHECKING:
    from pathlib import Path


def test_get_task_splits_the_name_and_looks_up_the_family() -> None:
    TASKS.register("tiny", TinyTask)
    task, subset = get_task("tiny/rerank/x")
    assert isinstance(task, TinyTask) and subset == "rerank/x"
    assert get_task("tiny")[1] == ""
    with pytest.raises(UnknownNameError, match="did you mean 'tiny'"):
        get_task("tinny/a")


def test_members_come_from_the_tasks_own_method_and_the_base_has_none() -> None:
    """A family is a task that overrides ``family_members``; no flag says so beside it."""
    from ir_harness.run.family import members

    TASKS.register("fam", TinyFamily)
    TASKS.register("single", TinyTask)
    assert members("fam") == ["fam/a", "fam/b"]
    assert members("fam/a") == []
    assert members("single") == []
    assert not hasattr(Task, "has_members")


def test_a_registered_class_that_is_not_a_task_is_refused_naming_the_plugin() -> None:
    class Plain:
        family = "plain"
        description = "a task's methods without the base class"

        def subsets(self) -> list[str]:
            return [""]

        def spec(self, subset: str) -> object:
            return TinyTask().spec(subset)

        def load(self, subset: str, data_dir: object) -> object:
            return TinyTask().load(subset, None)

    TASKS.register("plain", Plain)
    with pytest.raises(
        ConfigError,
        match=r"task plugin 'plain' \(.*Plain\) is not a task: subclass ir_harness.task.Task",
    ):
        get_task("plain")


def test_the_kinds_carry_no_ability_flags() -> None:
    from ir_harness.self_running import JudgeMetaEvaluationTask, SentenceSimilarityTask

    flags = ("runs_itself", "limits_queries", "evaluates_files", "takes_run_set")
    for cls in (Task, SentenceSimilarityTask, JudgeMetaEvaluationTask):
        assert not any(hasattr(cls, f) for f in (*flags, "subsets_are_datasets"))


def test_only_beir_subsets_are_datasets_of_their_own() -> None:
    from ir_harness.store.training_record import dataset_of

    assert TinyTask.dataset_subset("rerank") == ""
    assert dataset_of("trec-dl/2019/bm25-top100") == "trec-dl"
    assert dataset_of("beir/scifact/test[limit10]") == "beir/scifact"
    assert dataset_of("beir/cqadupstack/android") == "beir/cqadupstack"
    assert dataset_of("beir") == "beir"


class _WholeSet(SelfRunningTask, TinyTask):
    """A self-running task that scores its whole set."""

    family: ClassVar[str] = "whole"
    ran: ClassVar[list[int | None]] = []

    def custom_run(self, subset, pipeline, data_dir, ctx):  # type: ignore[no-untyped-def]
        _WholeSet.ran.append(None)
        return Scores(metrics={"ndcg@10": 1.0, "recall@2": 1.0}, n_items=3)


class _Judged(JudgeMetaEvaluationTask, TinyTask):
    """A judge meta-evaluation task: it honours a limit, and scores files with a run set."""

    family: ClassVar[str] = "judged"
    got: ClassVar[list[object]] = []

    def custom_run(self, subset, pipeline, data_dir, ctx, limit_queries=None):  # type: ignore[no-untyped-def]
        _Judged.got.append(limit_queries)
        return Scores(metrics={"ndcg@10": 1.0, "recall@2": 1.0}, n_items=3)

    def evaluate_file(self, subset, path, data_dir, run_set=None, settings=None):  # type: ignore[no-untyped-def]
        _Judged.got.append(run_set)
        return Scores(metrics={"ndcg@10": 0.5, "recall@2": 0.0}, n_items=3)


def test_a_limit_reaches_only_a_kind_whose_run_takes_one(tmp_path: Path) -> None:
    """``--limit-queries`` is passed to a judge meta-evaluation's run and refused, with the
    message users see, for a self-running task that scores its whole set."""
    import ir_harness

    TASKS.register("whole", _WholeSet)
    TASKS.register("judged", _Judged)
    SYSTEMS.register("overlap", OverlapRetriever)
    common = {"results": None, "progress": False, "cache_dir": tmp_path / "c"}
    with pytest.raises(ConfigError, match=r"task 'tiny' does not support --limit-queries \(it"):
        ir_harness.evaluate("overlap", "whole", limit_queries=2, **common)
    assert _WholeSet.ran == []
    assert ir_harness.evaluate("overlap", "whole", **common).metrics["ndcg@10"] == 1.0
    _Judged.got.clear()
    ir_harness.evaluate("overlap", "judged", limit_queries=2, **common)
    assert _Judged.got == [2]


def test_eval_scores_files_only_for_a_judge_kind_and_run_set_only_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``harness eval`` uses a task's own scorer (with ``--run-set``) for a judge
    meta-evaluation; a ranking task refuses ``--run-set``."""
    import json
    import sys

    from ir_harness.cli import main

    TASKS.register("judged", _Judged)
    TASKS.register("tiny", TinyTask)
    f = tmp_path / "labels.txt"
    f.write_text("q1 0 d1 1\n")

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["harness", *args])
        with pytest.raises(SystemExit) as e:
            main()
            raise SystemExit(0)
        out = capsys.readouterr()
        return int(e.value.code or 0), out.out, out.err

    _Judged.got.clear()
    code, out, _ = invoke("eval", str(f), "--task", "judged", "--json")
    assert code == 0 and json.loads(out)["main_score"] == 0.5 and "depth" not in json.loads(out)
    code, out, _ = invoke("eval", str(f), "--task", "judged", "--run-set", str(tmp_path), "--json")
    assert code == 0 and _Judged.got == [None, tmp_path]
    code, _, err = invoke("eval", str(f), "--task", "tiny", "--run-set", str(tmp_path))
    assert code == 2 and "task 'tiny' takes no --run-set" in err
