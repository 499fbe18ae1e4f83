"""The errors trec_eval refuses with, as harness errors (one line, exit status given)."""

from __future__ import annotations

from ir_harness.errors import HarnessError


class TrecEvalError(HarnessError):
    """trec_eval refuses: ``status`` is the exit status trec_eval 10.0 uses for the case."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class TrecEvalInputError(TrecEvalError):
    """A qrels or run file cannot be read or has a malformed line."""


class TrecEvalUsageError(TrecEvalError):
    """A bad flag, measure name or measure parameter."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message, status)
