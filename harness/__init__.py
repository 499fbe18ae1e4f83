"""ir-harness: an evaluation harness for information retrieval research.

``from harness import evaluate`` is the Python API (``harness.api``); it is imported on first
use, so ``import harness`` (and ``harness list``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.api import EvalResult, evaluate
    from harness.runconfig import LLMPolicy, RunConfig

__version__ = "0.1.0"
__all__ = ["EvalResult", "LLMPolicy", "RunConfig", "__version__", "evaluate"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "EvalResult"):
        from harness import api

        return getattr(api, name)
    if name in ("LLMPolicy", "RunConfig"):
        from harness import runconfig

        return getattr(runconfig, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
