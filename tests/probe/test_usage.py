"""Usage errors: typer's usual message, exit 2, never a traceback."""

from __future__ import annotations

import pytest

from tests.probe.helpers import assert_clean_error, harness

CASES = {
    "batch-size-0": (("run", "-s", "overlap", "-t", "tiny", "--batch-size", "0"), "--batch-size"),
    "unknown-option": (("run", "-s", "overlap", "-t", "tiny", "--bogus"), "--bogus"),
    "missing-task": (("run", "-s", "overlap"), "--task"),
    "missing-system": (("run", "-t", "tiny"), "--system"),
    "limit-queries-0": (
        ("run", "-s", "overlap", "-t", "tiny", "--limit-queries", "0"),
        "--limit-queries",
    ),
    "unknown-command": (("frobnicate",), "frobnicate"),
    "eval-no-file": (("eval", "-t", "tiny"), "run_file"),
    "unknown-system": (("run", "-s", "overlapp", "-t", "tiny"), "overlap"),
    "unknown-task": (("run", "-s", "overlap", "-t", "tinny"), "tiny"),
    "bad-device": (("run", "-s", "overlap", "-t", "tiny", "--device", "tpu"), "--device"),
    "bad-option-syntax": (("run", "-s", "overlap", "-t", "tiny", "-o", "k1"), "KEY=VALUE"),
    "list-bogus": (("list", "bogus"), "'tasks' or 'systems'"),
    "eval-unknown-task": (("eval", "README.md", "-t", "tinny"), "tiny"),
    "llm-unknown-backend": (
        ("run", "-s", "overlap>judge", "-t", "tiny", "--llm", "foo:bar"),
        "foo",
    ),
    "llm-no-model": (("run", "-s", "overlap>judge", "-t", "tiny", "--llm", "openai"), "--llm"),
    "pipeline-bad-stage": (("run", "-s", "overlap>>judge", "-t", "tiny"), "stage"),
    "compare-bad-test": (("compare", "-t", "tiny", "--test", "z-test"), "--test"),
}


@pytest.mark.parametrize("args,names", CASES.values(), ids=CASES.keys())
def test_usage_error_exit_2(args: tuple[str, ...], names: str) -> None:
    assert_clean_error(harness(*args), names)


def test_help_exits_0() -> None:
    a = harness("run", "--help")
    assert a.rc == 0 and "--system" in a.out
