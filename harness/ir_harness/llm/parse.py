"""Tolerant parsing of model output that was asked to be JSON but may not be.

Small models and backends without structured output wrap JSON in prose or code fences, leave
trailing commas, or stop mid-object. ``extract_json`` finds the first value that parses after
cheap repairs and raises ``ValueError`` when none does, so callers can count the failure.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _candidates(text: str) -> list[str]:
    out = [m.group(1) for m in _FENCE.finditer(text)]
    for i, ch in enumerate(text):
        if ch in "{[":
            out.append(text[i:])
    return out


def _balanced_prefix(s: str) -> str | None:
    """The shortest prefix of ``s`` whose brackets balance (strings respected), else None."""
    depth, in_str, esc = 0, False, False
    for i, ch in enumerate(s):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return s[: i + 1]
    return None


def _close_truncated(s: str) -> str:
    """Close the brackets and the string a truncated generation left open."""
    stack: list[str] = []
    in_str, esc = False, False
    for ch in s:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    s = s + ('"' if in_str else "")
    s = _TRAILING_COMMA.sub(r"\1", s.rstrip().rstrip(","))
    return s + "".join(reversed(stack))


def _try(s: str) -> tuple[bool, Any]:
    for variant in (s, _TRAILING_COMMA.sub(r"\1", s)):
        try:
            return True, json.loads(variant)
        except json.JSONDecodeError:
            continue
    return False, None


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text``; raises ValueError when nothing parses."""
    ok, val = _try(text.strip())
    if ok:
        return val
    for cand in _candidates(text):
        cand = cand.strip()
        whole = _balanced_prefix(cand)
        if whole is not None:
            ok, val = _try(whole)
            if ok:
                return val
        else:
            ok, val = _try(_close_truncated(cand))
            if ok:
                return val
    raise ValueError(f"no JSON value found in model output: {text[:200]!r}")
