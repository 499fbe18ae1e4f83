"""C library number parsing (``atol``/``strtol`` and ``atof``/``strtod``) as glibc does it:
the longest valid prefix counts, the rest of the field is ignored, no prefix reads as 0."""

from __future__ import annotations

import re

C_SPACE = " \t\n\v\f\r"
LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)

_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_DEC = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_HEX = re.compile(
    r"[ \t\n\v\f\r]*([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
)
_SPECIAL = re.compile(r"[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)", re.I)


def atol(text: str) -> int:
    """``strtol(text, NULL, 10)``: clamped to the range of a 64-bit long."""
    m = _INT.match(text)
    if m is None:
        return 0
    return max(LONG_MIN, min(LONG_MAX, int(m.group(1))))


def atof(text: str) -> float:
    """``strtod(text, NULL)``: decimal, hexadecimal, ``inf`` and ``nan`` forms."""
    if "_" not in text and text[:1] not in C_SPACE:
        try:  # Python's float agrees with strtod on every string it accepts without "_"
            return float(text)
        except ValueError:
            pass
    m = _HEX.match(text)
    if m is not None:
        body = m.group(2)
        if "p" not in body.lower():
            body += "p0"
        value = float.fromhex("0x" + body)
        return -value if m.group(1) == "-" else value
    m = _DEC.match(text)
    if m is not None:
        return float(m.group(1))
    m = _SPECIAL.match(text)
    if m is not None:
        word = m.group(2).lower()
        value = float("inf") if word.startswith("inf") else float("nan")
        return -value if m.group(1) == "-" else value
    return 0.0


def lround(x: float) -> int:
    """C ``lround``: the nearest integer, halves away from zero."""
    a = abs(x)
    r = int(a)
    if a - r >= 0.5:
        r += 1
    return -r if x < 0 else r
