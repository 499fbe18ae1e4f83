"""Errors that tell the user exactly which file, line or field is wrong and what was expected."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class HarnessError(Exception):
    """Base class for every error the CLI turns into a clean message and a non-zero exit."""


class DataFormatError(HarnessError):
    """A data file does not have the expected format."""

    def __init__(
        self, path: str | Path, line: int | None, problem: str, expected: str = ""
    ) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class StoreCorruptError(DataFormatError):
    """A file of an on-disk store (corpus or corpus embedding cache) fails its recorded checks."""


class ModelOutputError(HarnessError):
    """A system's model returned something that is not what its protocol promises (wrong
    count, shape, type, or non-finite numbers)."""


class DataNotFoundError(HarnessError):
    """Neither the local folder nor the online loader could provide a task's data."""


class UnknownNameError(HarnessError):
    """A task or system name is not registered."""


class ConfigError(HarnessError):
    """A flag, option or spec value is invalid."""


class ArgumentTypeError(ConfigError, TypeError):
    """A value handed to the Python API has the wrong type; the message names the argument,
    the type it got and what was expected (a ``TypeError`` too, as Python code expects)."""

    def __init__(self, argument: str, value: object, expected: str) -> None:
        self.argument = argument
        self.expected = expected
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"{argument}={shown} ({type(value).__name__}): expected {expected}")


def check_type(argument: str, value: object, types: type | tuple[type, ...], expected: str) -> None:
    """Refuse ``value`` unless it is one of ``types``; ``True``/``False`` count as numbers
    only where ``bool`` is named, since ``seed=True`` is a mistake, not the seed 1."""
    allowed = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in allowed:
        raise ArgumentTypeError(argument, value, expected)
    if not isinstance(value, allowed):
        raise ArgumentTypeError(argument, value, expected)
