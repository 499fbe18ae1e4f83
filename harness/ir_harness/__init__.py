"""ir-harness: an evaluation harness for information retrieval research.

``from ir_harness import evaluate`` is the Python API (``ir_harness.api``: ``evaluate`` returns
``Result``s, ``save`` stores them, ``load_results`` reads them back, ``compare`` tests them) and
``from ir_harness import score`` scores any run against any qrels (``ir_harness.eval.score``);
both are imported on first use, so ``import ir_harness`` (and ``harness list``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.api import EvalResult, Result, compare, evaluate, load_results, save
    from ir_harness.eval.score import score
    from ir_harness.run.config import LLMPolicy, RunConfig

__version__ = "0.1.0"
__all__ = [
    "EvalResult",
    "LLMPolicy",
    "Result",
    "RunConfig",
    "__version__",
    "compare",
    "evaluate",
    "load_results",
    "save",
    "score",
]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "EvalResult", "Result", "save", "load_results", "compare"):
        from ir_harness import api

        return getattr(api, name)
    if name == "score":
        from ir_harness.eval.score import score

        return score
    if name in ("LLMPolicy", "RunConfig"):
        from ir_harness.run import config

        return getattr(config, name)
    raise AttributeError(f"module 'ir_harness' has no attribute {name!r}")
