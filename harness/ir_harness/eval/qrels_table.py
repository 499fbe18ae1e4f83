"""Qrels held as columns: what ``harness eval --qrels`` scores a large qrels file with.

Why: as ``{qid: {docid: grade}}`` a 5-million-line qrels file took 2 GiB and most of the run
time (a Python string, dict entry and int per judgment). Here each judgment is two int32
values and its document id stays in a pyarrow string column (never a Python string, never
dictionary-encoded: a 2-million-entry dictionary doubled the reader's peak). Documents are
matched to the run's by pyarrow's hash lookup, so only the judgments of retrieved documents
are ever gathered; what scoring needs of the others (how many there are per grade, for the
ideal rankings and the counts of relevant documents) is one small table of grade counts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ir_harness.data.memory import release_freed_memory

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels
    from ir_harness.eval.ranking import RunPairs

MAX_GRADE = 2**31 - 1  # grades are int32 values (the readers refuse others)
_MAX_COUNT_CELLS = 1 << 24  # queries x distinct grade values counted with one bincount
_DICT_LOOKUP_ROWS = 1 << 16  # judgments up to this many: their run codes from a dict
_COUNT_BLOCK = 1 << 20  # rows per bincount: its int64 keys stay at 8 MB


class GradeCounts(NamedTuple):
    """Each query's judgments as grade counts: rows grouped by query (ascending), grades
    (negative ones as 0, as ranx reads them) highest first. The ideal ranking of a query is its
    grades in this order, each repeated ``n`` times."""

    qi: np.ndarray  # int64
    grade: np.ndarray  # float64
    n: np.ndarray  # int64


class Judged(NamedTuple):
    """The judgments of a list of queries: for the judged documents the run retrieved, the
    query index, the run's kept row that retrieved it and the grade; and every query's grade
    counts (retrieved or not)."""

    qi: np.ndarray
    row: np.ndarray
    grade: np.ndarray
    ideal: GradeCounts


def grade_counts(qi: np.ndarray, grade: np.ndarray, n_queries: int) -> GradeCounts:
    """:class:`GradeCounts` of judgments ``(qi[i], grade[i])`` (``qi`` in ``range(n_queries)``).

    Small grade ranges (the usual 0-4) are counted with ``bincount`` a block of rows at a
    time, with no sort and no copy of the columns; wide ranges are sorted."""
    top = max(int(grade.max()), 0) if len(grade) else 0
    span = top + 1
    if len(grade) and n_queries * span <= _MAX_COUNT_CELLS:
        cells = np.zeros(n_queries * span, dtype=np.int64)
        for a in range(0, len(grade), _COUNT_BLOCK):
            g = np.maximum(grade[a : a + _COUNT_BLOCK].astype(np.int64), 0)
            key = qi[a : a + _COUNT_BLOCK].astype(np.int64) * span + (top - g)
            cells += np.bincount(key, minlength=len(cells))
        at = np.flatnonzero(cells)
        return GradeCounts(
            at // span, (top - at % span).astype(np.float64), cells[at].astype(np.int64)
        )
    g = np.maximum(grade.astype(np.int64), 0)
    key = (qi.astype(np.int64) << 32) | (MAX_GRADE - g)  # query, then grade desc: one int64
    key.sort()
    if not len(key):
        empty = np.zeros(0, dtype=np.int64)
        return GradeCounts(empty, np.zeros(0, dtype=np.float64), empty)
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    counts = np.diff(np.append(starts, len(key)))
    first = key[starts]
    return GradeCounts(first >> 32, (MAX_GRADE - (first & 0xFFFFFFFF)).astype(np.float64), counts)


def ideal_rows(
    ideal: GradeCounts, level: float, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``k[q]`` positions of each query's ideal ranking that hold a grade of at least
    ``level``: (query index, 0-based position, grade), grouped by query, by position within
    one: the rows a full grade-sorted list gives, cut there."""
    if not len(ideal.qi):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    before = np.cumsum(ideal.n) - ideal.n  # judgments ahead of each row, all queries
    start = before - before[np.searchsorted(ideal.qi, ideal.qi)]  # ... within its query
    take = np.clip(k[ideal.qi] - start, 0, ideal.n)
    take[ideal.grade < level] = 0
    ends = np.cumsum(take)
    at = np.arange(int(ends[-1])) - np.repeat(ends - take, take)
    return np.repeat(ideal.qi, take), np.repeat(start, take) + at, np.repeat(ideal.grade, take)


def relevant_counts(ideal: GradeCounts, level: float, n_queries: int) -> np.ndarray:
    """Per query, the judgments with a grade of at least ``level`` (ranx's ``clean_qrels``)."""
    keep = ideal.grade >= level
    counts = np.bincount(ideal.qi[keep], weights=ideal.n[keep], minlength=n_queries)
    return counts.astype(np.int64)


@dataclass(frozen=True)
class QrelsTable:
    """Judgments ``(qids[q[i]], docs[i], grade[i])``, each pair once, rows grouped by query
    (``q`` non-decreasing). ``docs``: a pyarrow string array (or chunked array), one per row."""

    qids: list[str]
    q: np.ndarray  # int32
    docs: Any
    grade: np.ndarray  # int32

    def __len__(self) -> int:
        return len(self.grade)

    @classmethod
    def from_dict(cls, qrels: Qrels) -> QrelsTable:
        """The table of nested qrels, queries and documents in their iteration order."""
        qids = [q for q, docs in qrels.items() if docs]
        sizes = np.array([len(qrels[q]) for q in qids], dtype=np.int64)
        return cls(
            qids,
            np.repeat(np.arange(len(qids), dtype=np.int32), sizes),
            string_array([did for q in qids for did in qrels[q]]),
            np.array([g for q in qids for g in qrels[q].values()], dtype=np.int32),
        )

    def to_dict(self) -> Qrels:
        """The judgments nested, queries and documents in row order."""
        out: Qrels = {}
        docs = self.docs.to_pylist()
        for qc, did, g in zip(self.q.tolist(), docs, self.grade.tolist(), strict=True):
            out.setdefault(self.qids[qc], {})[did] = g
        return out

    def judges_nonrelevant(self) -> bool:
        """Some document judged with a grade <= 0 (see :func:`ir_harness.eval.holes`)."""
        return bool((self.grade <= 0).any())

    def max_grades(self) -> dict[str, int]:
        """Each query's highest grade."""
        if not len(self):
            return {}
        starts = np.flatnonzero(np.concatenate(([True], self.q[1:] != self.q[:-1])))
        top = np.maximum.reduceat(self.grade, starts)
        return dict(zip([self.qids[c] for c in self.q[starts].tolist()], top.tolist(), strict=True))

    def run_codes(self, dids: np.ndarray) -> np.ndarray:
        """Per judgment, the code of its document among a run's ``dids`` (-1: not in the run),
        as int32 (as pyarrow's lookup gives it). A small table is looked up in a dict: importing
        pyarrow.compute alone takes 0.08 s, a dict of the run's ids a few milliseconds."""
        if len(self) <= _DICT_LOOKUP_ROWS:
            index = {did: i for i, did in enumerate(dids.tolist())}
            return np.array([index.get(x, -1) for x in self.docs.to_pylist()], np.int32)
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            found = pc.index_in(
                self.docs,
                value_set=string_array(dids.tolist()),
                memory_pool=pa.system_memory_pool(),  # malloc: freed pages can go back
            )
        except (pa.ArrowException, UnicodeEncodeError, OverflowError):  # ids pyarrow cannot hold
            index = {did: i for i, did in enumerate(dids.tolist())}
            return np.array([index.get(x, -1) for x in self.docs.to_pylist()], np.int32)
        chunks = found.chunks if isinstance(found, pa.ChunkedArray) else [found]
        out = np.empty(len(self), dtype=np.int32)
        at = 0
        for c in chunks:
            out[at : at + len(c)] = int32_with_nulls_as(c, -1)
            at += len(c)
        del found, chunks
        release_freed_memory()
        return out

    @functools.cached_property
    def _grade_counts(self) -> GradeCounts:
        """Grade counts per table query code (see :func:`grade_counts`)."""
        return grade_counts(self.q, self.grade, len(self.qids))

    def judged(self, qs: list[str], run_codes: np.ndarray, pairs: RunPairs) -> Judged:
        """The judgments of ``qs`` (each a query of the table), query indices in ``qs`` order:
        as rows, those whose (query index, document code) pair the run holds (``pairs``; asked a
        block of rows at a time once there are many, so the others are never all gathered); and
        every query's grade counts."""
        position = np.full(len(self.qids), -1, dtype=np.int64)
        index = {qid: i for i, qid in enumerate(self.qids)}
        position[[index[q] for q in qs]] = np.arange(len(qs))
        kept: list[tuple[np.ndarray, np.ndarray]] = []  # (judgment rows, run rows)
        waiting: list[tuple[np.ndarray, np.ndarray]] = []  # (judgment rows, pairs) not asked yet
        n_waiting = 0
        for a in range(0, len(run_codes), _COUNT_BLOCK):
            rows = np.flatnonzero(run_codes[a : a + _COUNT_BLOCK] >= 0) + a
            qi = position[self.q[rows]]
            rows, qi = rows[qi >= 0], qi[qi >= 0]
            waiting.append((rows, qi * pairs.n_docs + run_codes[rows]))
            n_waiting += len(rows)
            if n_waiting > pairs.few or a + _COUNT_BLOCK >= len(run_codes):
                r = np.concatenate([r for r, _ in waiting])
                at = pairs.rows_of(np.concatenate([k for _, k in waiting]))
                kept.append((r[at >= 0], at[at >= 0]))
                waiting, n_waiting = [], 0
        rows = np.concatenate([np.zeros(0, np.int64), *(r for r, _ in kept)])
        run_rows = np.concatenate([np.zeros(0, np.int64), *(r for _, r in kept)])
        counts = self._grade_counts
        chosen = position[counts.qi]
        keep = np.flatnonzero(chosen >= 0)
        order = keep[np.argsort(chosen[keep], kind="stable")]  # grades stay highest first
        ideal = GradeCounts(chosen[order], counts.grade[order], counts.n[order])
        return Judged(position[self.q[rows]], run_rows, self.grade[rows].astype(np.int64), ideal)


def int32_with_nulls_as(arr: Any, fill: int) -> np.ndarray:
    """A pyarrow int32 array as numpy, nulls as ``fill``, read from its buffers (``to_numpy``
    imports pandas, 0.4 s of a cold ``harness eval``)."""
    validity, values = arr.buffers()[:2]
    out = np.frombuffer(values, np.int32, len(arr), arr.offset * 4).copy()
    if validity is not None:
        bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
        out[~bits[arr.offset : arr.offset + len(arr)].astype(bool)] = fill
    return out


def take_rows(arr: Any, rows: np.ndarray) -> Any:
    """``arr.take(rows)`` with the indices handed over as a buffer (pyarrow's conversion of a
    numpy array imports pandas)."""
    import pyarrow as pa

    index = np.ascontiguousarray(rows, dtype=np.int64)
    return arr.take(pa.Array.from_buffers(pa.int64(), len(index), [None, pa.py_buffer(index)]))


def string_array(ids: list[str]) -> Any:
    """A pyarrow string array of ``ids`` built from its buffers: ``pa.array`` on a list, and
    ``fill_null``, import pandas (0.4 s of a cold ``harness eval``) to check for its types."""
    import pyarrow as pa

    joined = "".join(ids)
    if joined.isascii():  # one byte per character: lengths from the strings, no bytes objects
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    else:
        encoded = [i.encode("utf-8") for i in ids]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    del joined
    ends = np.cumsum(lengths)
    if len(ends) and ends[-1] >= 2**31:
        raise OverflowError("over 2 GiB of ids: not one pyarrow string array")
    offsets = np.concatenate(([0], ends)).astype(np.int32)
    return pa.StringArray.from_buffers(len(ids), pa.py_buffer(offsets), pa.py_buffer(data))


def judged_from_dict(
    qrels: Qrels, qs: list[str], doc_code: dict[str, int], pairs: RunPairs
) -> Judged:
    """:meth:`QrelsTable.judged` for nested qrels (a run document's code from ``doc_code``)."""
    qi: list[int] = []
    code: list[int] = []
    grade: list[int] = []
    for i, q in enumerate(qs):
        docs = qrels[q]
        qi += [i] * len(docs)
        code += [doc_code.get(did, -1) for did in docs]
        grade += docs.values()
    qi_a, code_a = np.array(qi, dtype=np.int64), np.array(code, dtype=np.int64)
    grade_a = np.array(grade, dtype=np.int64)
    row = np.full(len(code_a), -1, dtype=np.int64)
    known = code_a >= 0
    row[known] = pairs.rows_of(qi_a[known] * pairs.n_docs + code_a[known])
    found = row >= 0
    ideal = grade_counts(qi_a, grade_a, len(qs))
    return Judged(qi_a[found], row[found], grade_a[found], ideal)
