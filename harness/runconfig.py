"""What a run is configured with, as typed values that travel down with the run.

``LLMPolicy`` holds the LLM fault settings. It is built once, by ``harness run`` (which reads
``$HARNESS_LLM_*`` there, and only there, as defaults for flags not given) or by the caller of
``evaluate``, and handed to the backend and the session through the ``RunContext``, so two
evaluations in one process can use different settings, and the result records the ones it ran
under. No layer passes a setting to another through the environment.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any

from harness.errors import ConfigError

# The environment variables ``harness run`` reads as defaults for its --llm-* flags.
LLM_ENV = {
    "timeout_s": "HARNESS_LLM_TIMEOUT_S",
    "attempts": "HARNESS_LLM_ATTEMPTS",
    "max_failed_share": "HARNESS_LLM_MAX_FAILED_SHARE",
    "allow_failures": "HARNESS_LLM_ALLOW_FAILURES",
}


@dataclass(frozen=True)
class LLMPolicy:
    """How a run treats LLM faults: the per-request timeout and attempts of HTTP backends, and
    the share of unusable answers above which the result is not stored (unless allowed)."""

    timeout_s: float = 120.0
    attempts: int = 6
    max_failed_share: float = 0.5
    allow_failures: bool = False

    def __post_init__(self) -> None:
        t = self.timeout_s
        if isinstance(t, bool) or not isinstance(t, int | float) or not (0 < t < math.inf):
            raise ConfigError(f"LLM timeout_s {t!r}: expected a positive number of seconds")
        a = self.attempts
        if isinstance(a, bool) or not isinstance(a, int) or a < 1:
            raise ConfigError(f"LLM attempts {a!r}: expected a whole number of at least 1")
        s = self.max_failed_share
        if isinstance(s, bool) or not isinstance(s, int | float) or not (0.0 <= s <= 1.0):
            raise ConfigError(f"LLM max_failed_share {s!r}: expected a share between 0 and 1")
        if not isinstance(self.allow_failures, bool):
            raise ConfigError(f"LLM allow_failures {self.allow_failures!r}: expected True/False")

    def record(self) -> dict[str, Any]:
        """The settings as stored in a result's metadata."""
        return asdict(self)

    @classmethod
    def from_env(
        cls,
        *,
        timeout_s: float | None = None,
        attempts: int | None = None,
        max_failed_share: float | None = None,
        allow_failures: bool | None = None,
    ) -> LLMPolicy:
        """The given values; for each one not given, ``$HARNESS_LLM_TIMEOUT_S`` /
        ``_ATTEMPTS`` / ``_MAX_FAILED_SHARE`` / ``_ALLOW_FAILURES`` (``1``), else the default.
        Only the command line calls this: the Python API takes the policy it is given."""
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
                value = _parse_env(key, raw)
            values[key] = value
        return cls(**values)


def _parse_env(key: str, raw: str) -> Any:
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
        if not (number >= 1 and number == int(number)):
            raise ConfigError(f"${name}={raw!r}: expected a whole number of at least 1")
        return int(number)
    if key == "timeout_s" and not (0 < number < math.inf):
        raise ConfigError(f"${name}={raw!r}: expected a positive number")
    if key == "max_failed_share" and not (0.0 <= number <= 1.0):
        raise ConfigError(f"${name}={raw!r}: expected a share between 0 and 1")
    return number
