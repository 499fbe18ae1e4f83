"""The one definition of a benchmark family's score: the macro mean over its member tasks.

The stored family aggregate (``ir_harness.run.family``) and the leaderboard's family pages both
call :func:`family_mean`, so the number a run stores and the number the site shows are the same
bits for the same member scores.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def family_mean(scores: Sequence[float]) -> float:
    """The unweighted mean of the member tasks' scores (each task counts once, whatever its
    number of queries). ``math.fsum`` rounds the sum once, so the order the tasks come in
    (a family's member list, the site's sorted task names) never changes the bits."""
    if not scores:
        raise ValueError("family_mean: no member scores")
    return math.fsum(scores) / len(scores)
