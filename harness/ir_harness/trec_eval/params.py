"""Measure parameters as trec_eval 10.0 reads them from ``-m name.params``.

Four shapes: integer cutoffs (``P.5,10``: read with ``atol``, sorted, must be positive and
distinct; one value per cutoff named ``P_5``), fractional cutoffs (``iprec_at_recall..1,.2``:
``atof``, sorted, distinct; named with ``%3.2f``), a list of numbers (``utility.1,-1,0,0``:
kept in order, one value named ``utility_<params as given>``) and ``name=value`` pairs
(``ndcg.1=3,2=9``, same naming).
"""

from __future__ import annotations

from ir_harness.trec_eval.cnum import atof, atol
from ir_harness.trec_eval.errors import TrecEvalError, TrecEvalUsageError


def long_cutoffs(text: str, measure: str) -> list[int]:
    """Sorted positive distinct integer cutoffs."""
    cuts = sorted(atol(part) for part in text.split(","))
    if cuts[0] <= 0:
        raise TrecEvalError(
            f"measure '{measure}': negative cutoff detected in '{text}' "
            "(expected positive integers)",
            2,
        )
    if any(a == b for a, b in zip(cuts, cuts[1:], strict=False)):
        raise TrecEvalError(f"measure '{measure}': duplicate cutoffs detected in '{text}'", 2)
    return cuts


def double_cutoffs(text: str, measure: str) -> list[float]:
    """Sorted distinct fractional cutoffs."""
    cuts = sorted(atof(part) for part in text.split(","))
    if any(a == b for a, b in zip(cuts, cuts[1:], strict=False)):
        raise TrecEvalError(f"measure '{measure}': duplicate cutoffs detected in '{text}'", 2)
    return cuts


def double_params(text: str) -> list[float]:
    """Numbers in the order given."""
    return [atof(part) for part in text.split(",")]


def param_pairs(text: str, measure: str) -> list[tuple[str, float]]:
    """``name=value`` pairs; every comma-separated part must hold exactly one ``=``."""
    parts = text.split(",")
    if any(p.count("=") != 1 for p in parts):
        raise TrecEvalUsageError(
            f"measure '{measure}': malformed pair parameters in '{text}' "
            "(expected name=value[,name=value...])",
            2,
        )
    pairs = []
    for p in parts:
        name, value = p.split("=")
        pairs.append((name, atof(value)))
    return pairs


def name_with_long(name: str, cut: int) -> str:
    """``%s_%ld``: the name of an integer cutoff's value (``P_10``), never truncated."""
    return f"{name}_{cut}"


def name_with_double(name: str, cut: float) -> str:
    """``snprintf(buf, strlen(name) + 10, "%s_%3.2f", ...)``: truncated like trec_eval's."""
    return f"{name}_{cut:3.2f}"[: len(name) + 9]
