"""ir-harness: an evaluation harness for information retrieval research.

``from ir_harness import evaluate`` is the Python API (``ir_harness.api``) and
``from ir_harness import score`` scores any run against any qrels (``ir_harness.eval.score``);
both are imported on first use, so ``import ir_harness`` (and ``harness list``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.api import EvalResult, evaluate
    from ir_harness.eval.score import score
    from ir_harness.run.config import LLMPolicy, RunConfig

__version__ = "0.1.0"
__all__ = ["EvalResult", "LLMPolicy", "RunConfig", "__version__", "evaluate", "score"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "EvalResult"):
        from ir_harness import api

        return getattr(api, name)
    if name == "score":
        from ir_harness.eval.score import score

        return score
    if name in ("LLMPolicy", "RunConfig"):
        from ir_harness.run import config

        return getattr(config, name)
    raise AttributeError(f"module 'ir_harness' has no attribute {name!r}")
