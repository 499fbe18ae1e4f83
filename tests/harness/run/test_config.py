"""The run's configuration travels with the run: two evaluations in one process, each with its
own LLM fault policy, behave by their own policy and record it; no setting goes through the
environment."""

from __future__ import annotations

import os
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from ir_harness import LLMPolicy, RunConfig, evaluate
from ir_harness.cli.env import llm_policy as llm_policy_from_env
from ir_harness.errors import ConfigError
from ir_harness.llm.base import LLMError
from ir_harness.registry import SYSTEMS, TASKS
from ir_harness.run.config import LocalExecutor
from tests.harness.fakes import OverlapRetriever, TinyTask
from tests.harness.llm.test_openai_http import FaultServer, ok_body

pytest.importorskip("httpx")


def _unusable(body: object) -> tuple[int, dict[str, str], str, float]:
    return 200, {}, ok_body("I cannot tell"), 0.0


def test_two_evaluations_in_one_process_follow_their_own_llm_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    env_before = {k: v for k, v in os.environ.items() if k.startswith("HARNESS_LLM")}
    strict = LLMPolicy(attempts=1)
    lenient = LLMPolicy(timeout_s=30.0, attempts=2, allow_failures=True)
    results = tmp_path / "r"
    busy = (503, {"retry-after": "0"}, "busy", 0.0)
    with FaultServer([busy], default=_unusable) as srv:
        kw = {"options": {"llm": f"openai:m@{srv.url}"}, "results": results, "device": "cpu"}
        # one attempt: the 503 is final
        with pytest.raises(LLMError, match="HTTP 503"):
            evaluate("overlap>judge", "tiny", llm_policy=strict, **kw)
        # every answer is unusable (share 1.0): stored only because this call allows it
        res = evaluate("overlap>judge", "tiny", llm_policy=lenient, **kw)
        # the same again under the strict policy: refused, the stored result untouched
        stored = (res.path / "metadata.json").read_bytes()  # type: ignore[operator]
        with pytest.raises(LLMError, match="of 6 LLM answers"):
            evaluate("overlap>judge", "tiny", llm_policy=strict, **kw)
    assert res.metadata.stats["llm_failed_share"] == 1.0
    assert res.metadata.llm_policy == {
        "timeout_s": 30.0,
        "attempts": 2,
        "max_failed_share": 0.5,
        "allow_failures": True,
    }
    llm = res.metadata.stages[1].parameters["llm"]
    assert (llm["timeout_s"], llm["attempts"]) == (30.0, 2)  # the backend got the policy too
    assert (res.path / "metadata.json").read_bytes() == stored  # type: ignore[operator]
    after = {k: v for k, v in os.environ.items() if k.startswith("HARNESS_LLM")}
    assert after == env_before  # nothing went through the environment


def test_a_result_without_llm_calls_records_no_llm_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate("overlap", "tiny", results=None, device="cpu", llm_policy=LLMPolicy(attempts=3))
    assert res.metadata.llm_policy is None


def test_the_environment_is_read_only_by_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("HARNESS_LLM_ATTEMPTS", "2")
    monkeypatch.setenv("HARNESS_LLM_MAX_FAILED_SHARE", "0.25")
    monkeypatch.setenv("HARNESS_LLM_ALLOW_FAILURES", "1")
    assert LLMPolicy() == LLMPolicy(120.0, 6, 0.5, False)  # the Python API's default ignores it
    assert llm_policy_from_env() == LLMPolicy(7.5, 2, 0.25, True)
    assert llm_policy_from_env(attempts=9, max_failed_share=0.0) == LLMPolicy(7.5, 9, 0.0, True)


@pytest.mark.parametrize(
    "var,raw",
    [
        ("HARNESS_LLM_TIMEOUT_S", "0"),
        ("HARNESS_LLM_TIMEOUT_S", "soon"),
        ("HARNESS_LLM_ATTEMPTS", "1.5"),
        ("HARNESS_LLM_ATTEMPTS", "inf"),
        ("HARNESS_LLM_MAX_FAILED_SHARE", "2"),
        ("HARNESS_LLM_ALLOW_FAILURES", "yes"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str
) -> None:
    monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigError, match=f"\\${var}={raw!r}"):
        llm_policy_from_env()


@pytest.mark.parametrize(
    "field,value",
    [("timeout_s", 0), ("timeout_s", float("inf")), ("attempts", 0), ("attempts", 2.0),
     ("max_failed_share", 1.5), ("allow_failures", "yes")],
)  # fmt: skip
def test_a_bad_policy_value_is_a_config_error(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field):
        LLMPolicy(**{field: value})  # type: ignore[arg-type]


_CALLS: list[str] = []


class CountingExecutor(LocalExecutor):
    """A user's executor: does the local work and notes each call (systems call it)."""

    def encode_shards(self, system: Any, corpus: Any, store: Any, todo: list[int], ctx: Any) -> Any:
        _CALLS.append(f"encode {len(todo)}")
        return super().encode_shards(system, corpus, store, todo, ctx)

    def search_shards(self, queries: Any, store: Any, k: int, ctx: Any) -> Any:
        _CALLS.append("search")
        return super().search_shards(queries, store, k, ctx)


def test_systems_call_the_executor_object_of_the_config(tmp_path: Path) -> None:
    from ir_harness.run.job import RunJob
    from ir_harness.run.runner import run
    from ir_harness.store.results import RUN_FILE

    _CALLS.clear()
    common: dict[str, Any] = {"progress": False, "device": "cpu", "options": {"shard_rows": 300}}
    local = run(
        RunJob.of("hashing", "synthetic/1000", results=tmp_path / "a", cache_dir=tmp_path / "ca",
                  **common)
    )  # fmt: skip
    assert _CALLS == []
    counted = run(
        RunJob.of("hashing", "synthetic/1000", results=tmp_path / "b", cache_dir=tmp_path / "cb",
                  executor=CountingExecutor(), **common)
    )  # fmt: skip
    assert _CALLS[0] == "encode 4" and "search" in _CALLS
    assert (counted.path / RUN_FILE).read_bytes() == (local.path / RUN_FILE).read_bytes()
    assert counted.metadata.config_hash == local.metadata.config_hash  # not part of the config


def test_a_run_config_is_frozen_and_checks_its_fields() -> None:
    cfg = RunConfig(results="r", qrels_from="q.txt")  # type: ignore[arg-type]
    assert cfg.results == Path("r") and cfg.qrels_from == Path("q.txt")
    with pytest.raises(FrozenInstanceError):
        cfg.seed = 3  # type: ignore[misc]
    with pytest.raises(ConfigError, match=r"executor='ray' \(str\): expected an executor"):
        RunConfig(executor="ray")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown run setting.*limit_querys"):
        cfg.with_overrides(limit_querys=3)
    with pytest.raises(ConfigError, match="unknown run setting"):
        evaluate("bm25", "demo", results=None, worker=3)
    assert cfg.with_overrides(seed=2).seed == 2 and cfg.seed == 0
