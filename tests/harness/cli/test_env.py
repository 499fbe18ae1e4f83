"""Only the command line reads the environment: ``$HARNESS_*`` values become the defaults of
flags and explicit parameters, and the Python API below ignores them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import typer
from typer.testing import CliRunner

import ir_harness.cli.env as env
from ir_harness.cli.options import DataDir  # noqa: TC001 (typer reads it)
from ir_harness.run.config import RunConfig
from ir_harness.run.context import RunContext
from ir_harness.task import resolve_data_dir

if TYPE_CHECKING:
    from pathlib import Path


def test_the_data_dir_variable_fills_the_flag_not_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_DATA_DIR", str(tmp_path))
    assert resolve_data_dir(None) is None  # the API: no --data-dir means online only
    assert resolve_data_dir(tmp_path) == tmp_path
    app = typer.Typer()

    @app.command()
    def show(data_dir: DataDir = None) -> None:
        print(data_dir)

    assert CliRunner().invoke(app, []).output.strip() == str(tmp_path)
    other = tmp_path / "other"
    assert CliRunner().invoke(app, ["--data-dir", str(other)]).output.strip() == str(other)
    monkeypatch.delenv("HARNESS_DATA_DIR")
    assert CliRunner().invoke(app, []).output.strip() == "None"
    assert env.data_dir_default() is None


def test_the_llm_cache_switch_travels_in_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from ir_harness.llm.session import LLMSession

    monkeypatch.setenv("HARNESS_LLM_CACHE", "0")
    assert env.llm_cache() is False
    assert RunConfig().llm_cache is True  # the API's default ignores the variable
    on = RunContext.from_config(RunConfig())
    off = RunContext.from_config(RunConfig(llm_cache=False))
    assert (on.llm_cache, off.llm_cache) == (True, False)
    assert LLMSession(object(), off).cache is None  # type: ignore[arg-type]
    monkeypatch.setenv("HARNESS_LLM_CACHE", "1")
    assert env.llm_cache() is True


def test_the_memory_variable_becomes_the_configs_memory_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ir_harness.errors import ConfigError
    from ir_harness.plan.memory import available_bytes

    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", "50000000")
    assert env.memory_available() == 50_000_000
    assert available_bytes(123) == 123
    assert available_bytes() != 50_000_000  # below the command line the variable is not read
    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", "lots")
    with pytest.raises(ConfigError, match=r"\$HARNESS_MEM_AVAILABLE='lots'"):
        env.memory_available()
    monkeypatch.delenv("HARNESS_MEM_AVAILABLE")
    assert env.memory_available() is None


def test_the_store_thresholds_become_the_configs_corpus_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ir_harness.corpus import policy
    from ir_harness.errors import ConfigError

    monkeypatch.setenv("HARNESS_STORE_MIN_BYTES", "0")
    monkeypatch.setenv("HARNESS_STORE_MIN_DOCS", "5")
    assert env.store_policy() == policy.StorePolicy(min_bytes=0, min_docs=5)
    assert policy.current() == policy.StorePolicy()  # below the command line: not read
    assert RunConfig().corpus_store == policy.StorePolicy()
    with policy.using(env.store_policy()):
        assert policy.current().min_bytes == 0
    assert policy.current() == policy.StorePolicy()
    monkeypatch.setenv("HARNESS_STORE_MIN_DOCS", "many")
    with pytest.raises(ConfigError, match=r"\$HARNESS_STORE_MIN_DOCS='many'"):
        env.store_policy()


def test_tqdm_disable_turns_progress_off_at_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ir_harness.llm.progress import progress_enabled

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert env.progress_disabled()
    # below the command line the run's own switch decides
    assert progress_enabled(RunContext(progress=True), Tty())  # type: ignore[arg-type]
    assert not progress_enabled(RunContext(progress=False), Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert not env.progress_disabled()


def test_a_tasks_own_settings_are_read_by_name_at_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typing import ClassVar

    from ir_harness.registry import TASKS
    from tests.harness.fakes import TinyTask

    class Tunable(TinyTask):
        family: ClassVar[str] = "tiny-tune"
        settings: ClassVar[tuple[str, ...]] = ("depth", "mode")

    TASKS.register("tiny-tune", Tunable)
    monkeypatch.setenv("HARNESS_TINY_TUNE_DEPTH", "7")
    monkeypatch.setenv("HARNESS_TINY_TUNE_OTHER", "ignored")  # not a declared setting
    assert env.task_settings(["tiny-tune"]) == {"tiny-tune": {"depth": "7"}}
    cfg = RunConfig(task_settings=env.task_settings(["tiny-tune"]))
    assert RunContext.from_config(cfg).task_settings == {"tiny-tune": {"depth": "7"}}
    assert RunConfig().task_settings == {}  # the API's default ignores the environment


def test_a_name_that_is_no_task_is_left_to_the_run_to_report() -> None:
    """A grid with one unknown task still runs its other cells: reading settings never raises."""
    assert env.task_settings(["nosuchtask", "trec-dl/../x"]) == {}
