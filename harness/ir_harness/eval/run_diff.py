"""Where two runs of one task differ: per query, on the main metric and in their top 10.

Everything here is a plain JSON-able dict so that the terminal, ``--json`` and the HTML page show
the same numbers. Deltas are B minus A; a *win* is a query where B scores higher than A. The
paired test is ``ir_harness.eval.compare.paired_p`` (a single comparison: no correction) on the
queries both runs were scored on; RBO@10 (``ir_harness.reproduce.rank_agreement``) is averaged
over the queries either run ranks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ir_harness.eval.compare import TestName, paired_p
from ir_harness.reproduce.rank_agreement import rbo

TIE = 1e-12  # the tie tolerance of ``ir_harness.eval.compare``


def top_list(ranked: list[str], judged: dict[str, int] | None, depth: int) -> list[dict[str, Any]]:
    """The first ``depth`` documents with their grade; ``grade`` None = unjudged."""
    return [
        {"doc": d, "grade": (judged or {}).get(d), "judged": d in (judged or {})}
        for d in ranked[:depth]
    ]


def diff_runs(
    names: tuple[str, str],
    per_query: tuple[dict[str, float], dict[str, float]],
    ranked: tuple[dict[str, list[str]], dict[str, list[str]]],
    metric: str,
    qrels: dict[str, dict[str, int]] | None = None,
    queries: dict[str, str] | None = None,
    largest: int = 10,
    depth: int = 10,
    test: TestName = "randomization",
) -> dict[str, Any]:
    """Compare run B (second) with run A (first) on ``metric``'s per-query values.

    ``ranked``: query -> document ids in rank order, per run. ``qrels`` (query -> doc -> grade)
    marks the top lists' judgments when given; ``queries`` (query -> text) names the queries.
    """
    a, b = per_query
    qids = sorted(q for q in set(a) & set(b) if math.isfinite(a[q]) and math.isfinite(b[q]))
    va = np.array([a[q] for q in qids], dtype=np.float64)
    vb = np.array([b[q] for q in qids], dtype=np.float64)
    d = vb - va
    p = paired_p(vb, va, test) if qids else math.nan
    order = sorted(qids, key=lambda q: (-abs(b[q] - a[q]), q))
    ra, rb = ranked
    either = sorted(set(ra) | set(rb))
    rbos = {q: rbo(ra.get(q, []), rb.get(q, []), depth=depth) for q in either}

    def query_row(q: str) -> dict[str, Any]:
        judged = (qrels or {}).get(q) if qrels is not None else None
        return {
            "query": q,
            "text": (queries or {}).get(q),
            "a": a[q],
            "b": b[q],
            "delta": b[q] - a[q],
            "rbo": rbos.get(q, 1.0),
            "top_a": top_list(ra.get(q, []), judged, depth),
            "top_b": top_list(rb.get(q, []), judged, depth),
        }

    return {
        "a": names[0],
        "b": names[1],
        "metric": metric,
        "n_queries": len(qids),
        "only_a": len(set(a) - set(b)),
        "only_b": len(set(b) - set(a)),
        "mean_a": float(va.mean()) if qids else math.nan,
        "mean_b": float(vb.mean()) if qids else math.nan,
        "wins": int((d > TIE).sum()),
        "ties": int((np.abs(d) <= TIE).sum()),
        "losses": int((d < -TIE).sum()),
        "test": test,
        "p_value": p,
        "depth": depth,
        "rbo": float(np.mean(list(rbos.values()))) if rbos else 1.0,
        "judgments": qrels is not None,
        "largest": [query_row(q) for q in order[:largest]],
    }
