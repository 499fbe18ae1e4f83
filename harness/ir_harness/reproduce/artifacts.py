"""Comparing a stored result's artifact with a re-run's: which output moved, and by how much.

A run file is compared per query on its ranked document ids (candidates: ids and ranks), then on
its scores; an STS score table on its predicted similarities; a label file on its labels. Each
comparison is a ``StageCheck``; the per-query agreement of two runs is RBO@10 and Kendall's
tau@100 (``rank_agreement``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_harness.reproduce.rank_agreement import kendall_tau, rbo

if TYPE_CHECKING:
    from pathlib import Path

Ranking = list[tuple[str, float]]


@dataclass
class StageCheck:
    """What one output of the pipeline did between the stored run and the re-run."""

    stage: str  # "embeddings", "llm answers", "candidates", "scores", "labels", ...
    status: str  # "identical", "moved", "not checked"
    detail: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        return self.status == "moved"


def read_ranked(path: Path) -> dict[str, Ranking]:
    """``qid -> [(docid, score), ...]`` in file order (the writer writes ranks in order)."""
    out: dict[str, Ranking] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        out.setdefault(parts[0], []).append((parts[2], float(parts[4])))
    return out


def compare_runs(stored: Path, new: Path) -> tuple[list[StageCheck], dict[str, Any]]:
    """Candidates then scores of two run files, and their mean RBO@10 / Kendall's tau@100."""
    a, b = read_ranked(stored), read_ranked(new)
    qids = sorted(set(a) | set(b))
    moved_ids = [q for q in qids if [d for d, _ in a.get(q, [])] != [d for d, _ in b.get(q, [])]]
    max_score = 0.0
    moved_scores = 0
    for q in qids:
        if q in moved_ids:
            continue
        diffs = [abs(x[1] - y[1]) for x, y in zip(a.get(q, []), b.get(q, []), strict=True)]
        worst = max(diffs, default=0.0)
        if worst > 0:
            moved_scores += 1
            max_score = max(max_score, worst)
    rbos = {q: rbo([d for d, _ in a.get(q, [])], [d for d, _ in b.get(q, [])]) for q in qids}
    taus = {
        q: kendall_tau([d for d, _ in a.get(q, [])], [d for d, _ in b.get(q, [])]) for q in qids
    }
    finite_taus = [t for t in taus.values() if not math.isnan(t)]
    agreement = {
        "rbo@10": sum(rbos.values()) / len(rbos) if rbos else 1.0,
        "kendall_tau@100": sum(finite_taus) / len(finite_taus) if finite_taus else math.nan,
        "min_rbo@10": min(rbos.values(), default=1.0),
        "queries": len(qids),
    }
    checks = [
        StageCheck(
            "candidates",
            "moved" if moved_ids else "identical",
            f"{len(moved_ids)} of {len(qids)} queries rank other ids or orders"
            + (f" (first: {', '.join(moved_ids[:5])})" if moved_ids else ""),
            {"queries_moved": len(moved_ids), "queries": len(qids)},
        ),
        StageCheck(
            "scores",
            "moved" if moved_scores else "identical",
            f"{moved_scores} queries with the same ranking have other scores"
            + (f" (max abs difference {max_score:.3g})" if moved_scores else ""),
            {"queries_moved": moved_scores, "max_abs_diff": max_score},
        ),
    ]
    return checks, agreement


def _table(path: Path, key_cols: int, value_col: int, header: bool) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1 if header else 0 :]
    out = {}
    for line in lines:
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) > value_col:
            out["\t".join(parts[:key_cols])] = parts[value_col]
    return out


def compare_sts(stored: Path, new: Path) -> list[StageCheck]:
    """Predicted similarities (last column) of two STS score tables, per pair id."""
    a, b = _table(stored, 1, 2, True), _table(new, 1, 2, True)
    keys = sorted(set(a) | set(b))
    missing = [k for k in keys if k not in a or k not in b]
    diffs = [abs(float(a[k]) - float(b[k])) for k in keys if k in a and k in b]
    moved = sum(d > 0 for d in diffs) + len(missing)
    return [
        StageCheck(
            "scores",
            "moved" if moved else "identical",
            f"{moved} of {len(keys)} pairs scored otherwise"
            + (f" (max abs difference {max(diffs, default=0.0):.3g})" if moved else ""),
            {"pairs_moved": moved, "pairs": len(keys), "max_abs_diff": max(diffs, default=0.0)},
        )
    ]


def compare_labels(stored: Path, new: Path) -> list[StageCheck]:
    """Labels of two qrels-style files (``qid 0 docid label``), per (query, document)."""
    a, b = _table(stored, 3, 3, False), _table(new, 3, 3, False)
    a = {k.split("\t")[0] + " " + k.split("\t")[2]: v for k, v in a.items()}
    b = {k.split("\t")[0] + " " + k.split("\t")[2]: v for k, v in b.items()}
    keys = sorted(set(a) | set(b))
    moved = [k for k in keys if a.get(k) != b.get(k)]
    return [
        StageCheck(
            "labels",
            "moved" if moved else "identical",
            f"{len(moved)} of {len(keys)} labels differ"
            + (f" (first: {moved[0]})" if moved else ""),
            {"labels_moved": len(moved), "labels": len(keys)},
        )
    ]


def metric_deltas(
    stored: dict[str, dict[str, float]], new: dict[str, dict[str, float]], metric: str
) -> list[tuple[str, float, float, float]]:
    """``(query, stored, new, new - stored)`` for every query whose value moved, largest first."""
    a, b = stored.get(metric, {}), new.get(metric, {})
    rows = []
    for q in sorted(set(a) | set(b)):
        x, y = a.get(q, math.nan), b.get(q, math.nan)
        same = x == y or (math.isnan(x) and math.isnan(y))
        if not same:
            rows.append((q, x, y, y - x))
    return sorted(rows, key=lambda r: (-abs(r[3]) if not math.isnan(r[3]) else -math.inf, r[0]))
