"""Floating-point operations with C semantics where Python would raise: division by zero gives
inf or NaN (0/0 gives x86's default NaN, whose sign bit is set, printed ``-nan``), and
``log``/``log2`` of zero or a negative number give -inf or NaN."""

from __future__ import annotations

import math

NEG_NAN = -math.nan if math.copysign(1.0, -math.nan) < 0 else math.copysign(math.nan, -1.0)


def fdiv(a: float, b: float) -> float:
    """``a / b`` in IEEE double arithmetic."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return NEG_NAN if not math.isnan(a) else a
        neg = (a < 0) != (math.copysign(1.0, b) < 0)
        return -math.inf if neg else math.inf
    return a / b


def clog(x: float) -> float:
    """C ``log``."""
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return x if math.isnan(x) else NEG_NAN


def clog2(x: float) -> float:
    """C ``log2``."""
    if x > 0:
        return math.log2(x)
    if x == 0:
        return -math.inf
    return x if math.isnan(x) else NEG_NAN
