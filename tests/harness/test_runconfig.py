"""The run's configuration travels with the run: two evaluations in one process, each with its
own LLM fault policy, behave by their own policy and record it; no setting goes through the
environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from harness import LLMPolicy, evaluate
from harness.errors import ConfigError
from harness.llm.base import LLMError
from harness.registry import SYSTEMS, TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask
from tests.harness.test_llm_http import FaultServer, ok_body

if TYPE_CHECKING:
    from pathlib import Path

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


def test_the_environment_is_read_only_by_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("HARNESS_LLM_ATTEMPTS", "2")
    monkeypatch.setenv("HARNESS_LLM_MAX_FAILED_SHARE", "0.25")
    monkeypatch.setenv("HARNESS_LLM_ALLOW_FAILURES", "1")
    assert LLMPolicy() == LLMPolicy(120.0, 6, 0.5, False)  # the Python API's default ignores it
    assert LLMPolicy.from_env() == LLMPolicy(7.5, 2, 0.25, True)
    assert LLMPolicy.from_env(attempts=9, max_failed_share=0.0) == LLMPolicy(7.5, 9, 0.0, True)


@pytest.mark.parametrize(
    "var,raw",
    [
        ("HARNESS_LLM_TIMEOUT_S", "0"),
        ("HARNESS_LLM_TIMEOUT_S", "soon"),
        ("HARNESS_LLM_ATTEMPTS", "1.5"),
        ("HARNESS_LLM_MAX_FAILED_SHARE", "2"),
        ("HARNESS_LLM_ALLOW_FAILURES", "yes"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str
) -> None:
    monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigError, match=f"\\${var}={raw!r}"):
        LLMPolicy.from_env()


@pytest.mark.parametrize(
    "field,value",
    [("timeout_s", 0), ("timeout_s", float("inf")), ("attempts", 0), ("attempts", 2.0),
     ("max_failed_share", 1.5), ("allow_failures", "yes")],
)  # fmt: skip
def test_a_bad_policy_value_is_a_config_error(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=field):
        LLMPolicy(**{field: value})  # type: ignore[arg-type]
