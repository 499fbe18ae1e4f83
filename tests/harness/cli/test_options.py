"""``main``'s error handling and the shared option parsing."""

from __future__ import annotations

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
