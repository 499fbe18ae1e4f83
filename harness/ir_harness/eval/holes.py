"""Judged@10, the hole rate kept beside every ranking result, and when it warrants a warning.

Rerankers (LLM ones especially) surface documents the pool never judged; they count as
non-relevant, so a drop in nDCG with a low Judged@10 is a hole in the judgments rather than a
worse system.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

JUDGED_AT_10 = "judged@10"
LOW_JUDGED = 0.8  # below this share of the top 10 judged, the main metric is suspect


def low_judged(metrics: Mapping[str, float]) -> float | None:
    """The run's Judged@10 when it is below :data:`LOW_JUDGED`; None otherwise or when absent."""
    value = metrics.get(JUDGED_AT_10)
    return value if value is not None and value < LOW_JUDGED else None


def hole_warning(value: float) -> str:
    """The one-line warning for a run whose top 10 is ``value`` judged."""
    return (
        f"only {value:.0%} of the top 10 documents are judged ({JUDGED_AT_10} = {value:.4f} < "
        f"{LOW_JUDGED:.2f}): unjudged documents count as non-relevant, so a low score may be a "
        "hole in the judgments, not a worse system"
    )
