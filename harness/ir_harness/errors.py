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
    """A file of an on-disk store (corpus or embedding store) fails its recorded checks."""


class ModelOutputError(HarnessError):
    """A system's model returned something that is not what its protocol promises (wrong
    count, shape, type, or non-finite numbers)."""


class DataNotFoundError(HarnessError):
    """Neither the local folder nor the online loader could provide a task's data."""


class UnknownNameError(HarnessError):
    """A task or system name is not registered."""


class ConfigError(HarnessError):
    """A flag, option or spec value is invalid."""
