"""The environment variables the command line reads, as defaults for what no flag says.

This is the one place below ``harness`` where ``$HARNESS_*`` settings are read: the values go
down as explicit parameters (``RunConfig``, ``LLMPolicy``, function arguments), so the Python
API never depends on the caller's environment.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.corpus.policy import StorePolicy
from ir_harness.errors import ConfigError
from ir_harness.run.config import LLMPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

# ``--data-dir``'s default (typer reads it for the commands taking ``options.DataDir``)
DATA_DIR_ENV = "HARNESS_DATA_DIR"


def data_dir_default() -> Path | None:
    """``$HARNESS_DATA_DIR``, for a command whose ``--data-dir`` default is not only it."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value else None


def task_settings(task_names: Iterable[str]) -> dict[str, dict[str, str]]:
    """``$HARNESS_<FAMILY>_<NAME>`` for each setting the named tasks declare
    (``Task.settings``), as ``{family: {name: text}}``. A name that is no task is skipped here:
    the run reports it (a grid as one failed cell, the others still run)."""
    from ir_harness.errors import HarnessError
    from ir_harness.task import get_task

    out: dict[str, dict[str, str]] = {}
    for name in task_names:
        try:
            task, _ = get_task(name)
        except HarnessError:
            continue
        prefix = "HARNESS_" + re.sub(r"[^A-Z0-9]", "_", task.family.upper()) + "_"
        for setting in task.settings:
            value = os.environ.get(prefix + setting.upper())
            if value is not None:
                out.setdefault(task.family, {})[setting] = value
    return out


def progress_disabled() -> bool:
    """``$TQDM_DISABLE`` (tqdm's own switch) turns off every progress bar and line."""
    return os.environ.get("TQDM_DISABLE", "") not in ("", "0")


def llm_cache() -> bool:
    """``$HARNESS_LLM_CACHE=0`` turns the LLM response cache off (default on)."""
    return os.environ.get("HARNESS_LLM_CACHE", "1") != "0"


def memory_available() -> int | None:
    """``$HARNESS_MEM_AVAILABLE`` (bytes the plan may count on), or None: the machine's."""
    return _whole_number("HARNESS_MEM_AVAILABLE", "a number of bytes")


def store_policy() -> StorePolicy:
    """``$HARNESS_STORE_MIN_BYTES`` / ``$HARNESS_STORE_MIN_DOCS`` (0 stores every corpus), each
    the default where unset."""
    values: dict[str, int] = {}
    for key, name in (
        ("min_bytes", "HARNESS_STORE_MIN_BYTES"),
        ("min_docs", "HARNESS_STORE_MIN_DOCS"),
    ):
        value = _whole_number(name, "a whole number")
        if value is not None:
            values[key] = value
    return StorePolicy(**values)


def _whole_number(name: str, expected: str) -> int | None:
    """``$name`` as a whole number of at least 0, None where unset or empty, else a
    ConfigError naming the variable."""
    raw = os.environ.get(name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"${name}={raw!r}: expected {expected}")
    return value


# The environment variables ``harness run`` reads as defaults for its --llm-* flags.
LLM_ENV = {
    "timeout_s": "HARNESS_LLM_TIMEOUT_S",
    "attempts": "HARNESS_LLM_ATTEMPTS",
    "max_failed_share": "HARNESS_LLM_MAX_FAILED_SHARE",
    "allow_failures": "HARNESS_LLM_ALLOW_FAILURES",
}


def llm_policy(
    *,
    timeout_s: float | None = None,
    attempts: int | None = None,
    max_failed_share: float | None = None,
    allow_failures: bool | None = None,
) -> LLMPolicy:
    """The given values; for each one not given, ``$HARNESS_LLM_TIMEOUT_S`` /
    ``_ATTEMPTS`` / ``_MAX_FAILED_SHARE`` / ``_ALLOW_FAILURES`` (``1``), else the default."""
    given: dict[str, Any] = {
        "timeout_s": timeout_s,
        "attempts": attempts,
        "max_failed_share": max_failed_share,
        "allow_failures": allow_failures,
    }
    values: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            raw = os.environ.get(LLM_ENV[key])
            if not raw:
                continue
            value = _parse_llm(key, raw)
        values[key] = value
    return LLMPolicy(**values)


def _parse_llm(key: str, raw: str) -> Any:
    """One ``$HARNESS_LLM_*`` value, or a ConfigError naming the variable."""
    name = LLM_ENV[key]
    if key == "allow_failures":
        if raw not in ("0", "1"):
            raise ConfigError(f"${name}={raw!r}: expected 1 or 0")
        return raw == "1"
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if key == "attempts":
        if not (math.isfinite(number) and number >= 1 and number == int(number)):
            raise ConfigError(f"${name}={raw!r}: expected a whole number of at least 1")
        return int(number)
    if key == "timeout_s" and not (0 < number < math.inf):
        raise ConfigError(f"${name}={raw!r}: expected a positive number")
    if key == "max_failed_share" and not (0.0 <= number <= 1.0):
        raise ConfigError(f"${name}={raw!r}: expected a share between 0 and 1")
    return number
