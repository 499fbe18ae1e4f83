"""Agreement between two rankings of one query: rank-biased overlap and Kendall's tau.

RBO (Webber, Moffat and Zobel 2010) weighs agreement at the top: ``rbo`` is the extrapolated
form for lists truncated at ``depth`` (equal lists score 1, disjoint ones 0). Kendall's tau is
taken over the documents both top-``depth`` lists contain, by their positions in each list.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def rbo(a: Sequence[str], b: Sequence[str], p: float = 0.9, depth: int = 10) -> float:
    """Extrapolated rank-biased overlap of the top ``depth`` of ``a`` and ``b`` (persistence p).

    Lists of unequal length use the uneven-lists extrapolation: the shorter list's overlap
    is assumed to continue at its last observed rate. Two empty lists agree fully (1.0)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"rbo: p={p}; expected 0 < p < 1")
    x, y = list(a[:depth]), list(b[:depth])
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    s, ln = len(short), len(long_)
    if ln == 0:
        return 1.0
    if s == 0:
        return 0.0
    seen_s: set[str] = set()
    seen_l: set[str] = set()
    overlap = 0
    overlaps = [0] * (ln + 1)  # X_d: |short[:min(d, s)] & long[:d]|
    for d in range(1, ln + 1):
        item_l = long_[d - 1]
        if d <= s:
            item_s = short[d - 1]
            if item_s == item_l:
                overlap += 1
            else:
                overlap += (item_s in seen_l) + (item_l in seen_s)
            seen_s.add(item_s)
        else:
            overlap += item_l in seen_s
        seen_l.add(item_l)
        overlaps[d] = overlap
    x_s, x_l = overlaps[s], overlaps[ln]
    total = sum(overlaps[d] / d * p**d for d in range(1, ln + 1))
    total += sum(x_s * (d - s) / (s * d) * p**d for d in range(s + 1, ln + 1))
    return (1 - p) / p * total + ((x_l - x_s) / ln + x_s / s) * p**ln


def kendall_tau(a: Sequence[str], b: Sequence[str], depth: int = 100) -> float:
    """Kendall's tau between the orders of the documents both top-``depth`` lists hold.

    1.0 when they order their shared documents alike, -1.0 when exactly reversed; with fewer
    than two shared documents there is no pair to order: 1.0 if the lists are equal, else NaN."""
    x, y = list(a[:depth]), list(b[:depth])
    pos_b = {d: i for i, d in enumerate(y)}
    shared = [pos_b[d] for d in x if d in pos_b]  # positions in b, in a's order
    n = len(shared)
    if n < 2:
        return 1.0 if x == y else math.nan
    concordant = discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            if shared[i] < shared[j]:
                concordant += 1
            else:
                discordant += 1
    return (concordant - discordant) / (n * (n - 1) / 2)
