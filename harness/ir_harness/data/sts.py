"""Sentence-pair (STS) file formats and the MTEB STS metric, for sentence-similarity tasks.

In the core because both sides use them: sentence-similarity tasks score systems with them, and
training (STS training pairs, ``starbucks-grid`` on a ``SentenceSimilarityTask``) reads the same
files. Which files make which task is the task's own table (the MTEB tasks' in
``ir_harness.tasks.mteb_tasks``); here only formats are known, picked from the file itself:

* ``read_pair_csv``: CSV without header, ``sentence1,sentence2,score`` (STS Benchmark).
* ``read_headed_pairs``: TSV with a header naming ``pair_ID``, ``sentence_A``, ``sentence_B``,
  ``relatedness_score`` (SICK).
* ``read_scored_tsv``: TSV without header, ``score<TAB>sentence1<TAB>sentence2`` (SemEval STS
  2012-2016); rows with an empty score were not rated (2015/2016) and are skipped, as the
  official gold files leave them out.

The metric follows MTEB's ``AbsTaskSTS``: cosine similarity of the two embeddings, Spearman's rho
against the gold score (``cosine_spearman``, the main score, stored x1 like MTEB's result files).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.data.formats import open_text, tab_rows
from ir_harness.errors import DataFormatError
from ir_harness.eval.measures import measure

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class STSPair:
    """One gold-scored sentence pair, whatever file format it came from: ``pair_id`` says where
    (file and line, or SICK's own id), ``source`` the file, for per-pair output."""

    pair_id: str
    sentence1: str
    sentence2: str
    score: float
    source: str


def _score(path: str | Path, n: int, value: str) -> float:
    try:
        s = float(value)
    except ValueError:
        raise DataFormatError(path, n, f"score {value!r} is not a number", "a gold score") from None
    if not math.isfinite(s):
        raise DataFormatError(path, n, f"score {value!r} is not finite", "a finite gold score")
    return s


def read_pair_csv(path: Path) -> list[STSPair]:
    """STS Benchmark CSV: ``sentence1,sentence2,score`` (quoted as CSV), no header."""
    out: list[STSPair] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            n = reader.line_num
            if not row or not "".join(row).strip():
                continue
            if len(row) != 3:
                raise DataFormatError(
                    path, n, f"row has {len(row)} CSV fields", "3: sentence1,sentence2,score"
                )
            out.append(
                STSPair(f"{path.stem}:{n}", row[0], row[1], _score(path, n, row[2]), path.name)
            )
    return out


_SICK_COLUMNS = ("pair_ID", "sentence_A", "sentence_B", "relatedness_score")


def read_headed_pairs(path: Path) -> list[STSPair]:
    """SICK TSV with header; the relatedness score (1-5) is the gold similarity."""
    out: list[STSPair] = []
    cols: dict[str, int] = {}
    with open_text(path) as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if not cols:
                missing = [c for c in _SICK_COLUMNS if c not in parts]
                if missing:
                    raise DataFormatError(
                        path, n, f"header lacks {', '.join(missing)}", "a SICK header row"
                    )
                cols = {c: parts.index(c) for c in _SICK_COLUMNS}
                continue
            if len(parts) <= max(cols.values()):
                raise DataFormatError(
                    path, n, f"row has {len(parts)} fields", f"at least {max(cols.values()) + 1}"
                )
            out.append(
                STSPair(
                    f"sick:{parts[cols['pair_ID']]}",
                    parts[cols["sentence_A"]],
                    parts[cols["sentence_B"]],
                    _score(path, n, parts[cols["relatedness_score"]]),
                    path.name,
                )
            )
    if not cols:
        raise DataFormatError(path, None, "file is empty", "a SICK header row and pairs")
    return out


def read_scored_tsv(path: Path) -> tuple[list[STSPair], int]:
    """SemEval STS ``score<TAB>s1<TAB>s2``; returns the scored pairs and how many were unscored."""
    out: list[STSPair] = []
    skipped = 0
    with open_text(path) as f:
        for n, parts in tab_rows(f, path, 3, "score<TAB>s1<TAB>s2"):
            if not parts[0].strip():
                skipped += 1
                continue
            out.append(
                STSPair(
                    f"{path.parent.name}/{path.stem}:{n}",
                    parts[1],
                    parts[2],
                    _score(path, n, parts[0].strip()),
                    f"{path.parent.name}/{path.name}",
                )
            )
    return out, skipped


def _has_pair_header(path: Path) -> bool:
    """Whether the first non-empty line is a header naming the pair columns."""
    with open_text(path) as f:
        for line in f:
            if line.strip():
                return "pair_ID" in line.rstrip("\r\n").split("\t")
    return False


def read_sts_file(path: Path) -> tuple[list[STSPair], int]:
    """Pick the reader from the file's format (``.csv``, a pair header, else scored TSV);
    returns pairs and skipped rows."""
    if path.suffix == ".csv":
        return read_pair_csv(path), 0
    if _has_pair_header(path):
        return read_headed_pairs(path), 0
    return read_scored_tsv(path)


def cosine_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity computed as MTEB does (``1 - paired_cosine_distances``:
    normalise, then ``1 - |a - b|^2 / 2``), so ties break the same way; zero vectors give 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    an = np.divide(a, na, out=np.zeros_like(a), where=na > 0)
    bn = np.divide(b, nb, out=np.zeros_like(b), where=nb > 0)
    cos = 1 - 0.5 * ((an - bn) ** 2).sum(axis=1)
    return np.where((na[:, 0] > 0) & (nb[:, 0] > 0), cos, 0.0)


# Spearman's rho with average ranks for ties, as MTEB uses (the measures registry's).
spearman = measure("spearman")
