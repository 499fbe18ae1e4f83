"""Krippendorff's alpha, ordinal: agreement that counts how far apart two grades are."""

from __future__ import annotations

import numpy as np

from ir_harness.eval.measures import Measure


def krippendorff_alpha_ordinal(a: np.ndarray, b: np.ndarray, k: int | None = None) -> float:
    """Ordinal alpha for two coders over categories 0..k-1; a value < 0 marks a missing label.

    ``k`` defaults to the largest label plus one (trailing empty categories change nothing).
    """
    ok = (a >= 0) & (b >= 0)
    a, b = a[ok], b[ok]
    k = max(k or 0, int(a.max(initial=0)) + 1, int(b.max(initial=0)) + 1)
    o = np.zeros((k, k))  # coincidence matrix: each pairable unit adds (a,b) and (b,a)
    np.add.at(o, (a, b), 1)
    np.add.at(o, (b, a), 1)
    nc = o.sum(axis=1)
    n = nc.sum()
    cum = np.concatenate([[0.0], np.cumsum(nc)])
    d2 = np.zeros((k, k))
    for c in range(k):
        for e in range(c, k):
            d2[c, e] = d2[e, c] = (cum[e + 1] - cum[c] - (nc[c] + nc[e]) / 2) ** 2
    do = (o * d2).sum()
    de = (np.outer(nc, nc) * d2).sum() / (n - 1)
    return float(1 - do / de) if de > 0 else float("nan")


MEASURE = Measure(
    "krippendorff_alpha",
    "Krippendorff's ordinal alpha of two coders (negative labels are missing)",
    krippendorff_alpha_ordinal,
)
