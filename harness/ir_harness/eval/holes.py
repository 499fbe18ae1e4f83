"""Judged@10, the hole rate kept beside every ranking result, and when it warrants a warning.

Rerankers (LLM ones especially) surface documents the pool never judged; they count as
non-relevant, so a drop in nDCG with a low Judged@10 is a hole in the judgments rather than a
worse system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ir_harness.eval.qrels_table import QrelsTable

JUDGED_AT_10 = "judged@10"
LOW_JUDGED = 0.8  # below this share of the top 10 judged, the main metric is suspect


def judges_nonrelevant(qrels: Mapping[str, Mapping[str, int]] | QrelsTable) -> bool:
    """True when the qrels judge some document non-relevant (grade <= 0), as pooled TREC
    judgments do. Positives-only qrels (LIMIT, most BEIR test sets) leave every other document
    unjudged by construction, so Judged@10 says nothing about holes there and is not reported."""
    if not isinstance(qrels, Mapping):
        return qrels.judges_nonrelevant()
    return any(g <= 0 for docs in qrels.values() for g in docs.values())


def with_judged_at_10(
    ids: list[str], qrels: Mapping[str, Mapping[str, int]] | QrelsTable
) -> list[str]:
    """``ids`` with Judged@10 after them when the qrels make it informative (and not asked)."""
    if JUDGED_AT_10 in ids or not judges_nonrelevant(qrels):
        return ids
    return [*ids, JUDGED_AT_10]


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
