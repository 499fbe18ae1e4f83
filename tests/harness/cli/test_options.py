"""``main``'s error handling and the shared option parsing."""

from __future__ import annotations

import os
import sys

import pytest

from ir_harness.cli import main
from ir_harness.cli.options import parse_options
from ir_harness.errors import ConfigError


def test_usage_error_exits_2_with_one_message_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["harness", "run", "--bogus"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "No such option: --bogus" in err
    assert "Traceback" not in err


def test_unknown_command_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["harness", "no-such-command"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    assert "No such command" in capsys.readouterr().err


def test_parse_options_reads_json_values() -> None:
    assert parse_options(["k=3", "flag=true", "name=x", "stage.k=1.5"]) == {
        "k": 3,
        "flag": True,
        "name": "x",
        "stage.k": 1.5,
    }
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_options(["novalue"])


def test_llm_settings_are_restored_after_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`harness run --llm-timeout ...` inside a longer-lived process (a notebook, the test suite)
    must not leave its settings for later runs (a leaked timeout broke an unrelated test)."""
    from ir_harness.cli.run import _llm_settings

    monkeypatch.delenv("HARNESS_LLM_TIMEOUT_S", raising=False)
    monkeypatch.setenv("HARNESS_LLM_ATTEMPTS", "3")
    with _llm_settings(0.5, 9, 0.2, True):
        assert os.environ["HARNESS_LLM_TIMEOUT_S"] == "0.5"
        assert os.environ["HARNESS_LLM_ATTEMPTS"] == "9"
        assert os.environ["HARNESS_LLM_ALLOW_FAILURES"] == "1"
    assert "HARNESS_LLM_TIMEOUT_S" not in os.environ
    assert os.environ["HARNESS_LLM_ATTEMPTS"] == "3"
    assert "HARNESS_LLM_ALLOW_FAILURES" not in os.environ
