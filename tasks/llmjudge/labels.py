"""LLMJudge label files: ``qidx 0 pidx grade`` lines, read with line-precise errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ir_harness.data.formats import read_judge_qrels, split_fields, text_lines
from ir_harness.errors import DataFormatError

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.data.model import Qrels

GRADES = 4
Pair = tuple[str, str]


@dataclass
class Labels:
    """A judge's labels: pair -> grade in 0-3, with what had to be repaired on reading."""

    grades: dict[Pair, int]
    clipped_lines: list[int] = field(default_factory=list)
    # the grades as submitted for the clipped pairs, so kappa on the raw labels can be reported
    out_of_range: dict[Pair, int] = field(default_factory=dict)


def read_labels(path: str | Path, pairs: set[Pair] | None = None, strict: bool = False) -> Labels:
    """``qidx 0 pidx grade`` per line (the challenge's format), with line-precise errors.

    ``pairs``: the allowed (query, passage) pairs; a label for any other pair is an error.
    Grades outside 0-3 are clipped (the organisers' convention) unless ``strict``.
    """
    out = Labels({})
    for n, line in text_lines(path):
        qid, _, pid, g = split_fields(
            path, n, line, 4, "label", "4 fields: query-id 0 passage-id grade"
        )
        try:
            grade = int(g)
        except ValueError:
            raise DataFormatError(
                path, n, f"grade {g!r} is not an integer", "0, 1, 2 or 3"
            ) from None
        if not 0 <= grade < GRADES:
            if strict:
                raise DataFormatError(path, n, f"grade {grade} is outside 0-3", "0, 1, 2 or 3")
            out.clipped_lines.append(n)
            out.out_of_range[(qid, pid)] = grade
            grade = min(max(grade, 0), GRADES - 1)
        if pairs is not None and (qid, pid) not in pairs:
            raise DataFormatError(
                path,
                n,
                f"pair ({qid}, {pid}) is not in the evaluation set",
                "a pair of the test qrels",
            )
        if (qid, pid) in out.grades:
            raise DataFormatError(
                path, n, f"pair ({qid}, {pid}) is labelled twice", "each pair once"
            )
        out.grades[(qid, pid)] = grade
    return out


def labels_to_qrels(grades: dict[Pair, int]) -> Qrels:
    """Pair grades as qrels (query -> passage -> grade), so judge labels can be scored by the
    ranking metrics and hashed as any qrels are."""
    qrels: Qrels = {}
    for (q, d), g in grades.items():
        qrels.setdefault(q, {})[d] = g
    return qrels


load_judge_qrels = read_judge_qrels  # kept for callers of the task module
