"""Qrels held as columns: what ``harness eval --qrels`` scores a large qrels file with.

Why: as ``{qid: {docid: grade}}`` a 5-million-line qrels file took 2 GiB and most of the run
time (a Python string, dict entry and int per judgment). Here each judgment is three integers;
document ids stay in one pyarrow string array (never Python strings) and are matched to the
run's documents by pyarrow's hash lookup. Query ids (few) are Python strings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from ir_harness.data.model import Qrels

MAX_GRADE = 2**31 - 1  # grades are int32 values (the readers refuse others)


class Judged(NamedTuple):
    """The judgments of a list of queries: query index, the run's code of the document (-1:
    never retrieved) and the grade, grouped by query."""

    qi: np.ndarray
    code: np.ndarray
    grade: np.ndarray


@dataclass(frozen=True)
class QrelsTable:
    """Judgments ``(qids[q[i]], docs[d[i]], grade[i])``, each pair once, rows grouped by query
    (``q`` non-decreasing). ``docs``: a pyarrow string array of the distinct document ids."""

    qids: list[str]
    q: np.ndarray
    docs: Any
    d: np.ndarray
    grade: np.ndarray

    def __len__(self) -> int:
        return len(self.grade)

    @classmethod
    def from_dict(cls, qrels: Qrels) -> QrelsTable:
        qids = [q for q, docs in qrels.items() if docs]
        sizes = np.array([len(qrels[q]) for q in qids], dtype=np.int64)
        index: dict[str, int] = {}
        d = [index.setdefault(did, len(index)) for q in qids for did in qrels[q]]
        grade = [g for q in qids for g in qrels[q].values()]
        return cls(
            qids,
            np.repeat(np.arange(len(qids), dtype=np.int64), sizes),
            string_array(list(index)),
            np.array(d, dtype=np.int64),
            np.array(grade, dtype=np.int64),
        )

    def to_dict(self) -> Qrels:
        out: Qrels = {}
        docs = self.docs.to_pylist()
        for qc, dc, g in zip(self.q.tolist(), self.d.tolist(), self.grade.tolist(), strict=True):
            out.setdefault(self.qids[qc], {})[docs[dc]] = g
        return out

    def judges_nonrelevant(self) -> bool:
        """Some document judged with a grade <= 0 (see :func:`ir_harness.eval.holes`)."""
        return bool((self.grade <= 0).any())

    def max_grades(self) -> dict[str, int]:
        """Each query's highest grade."""
        starts = np.flatnonzero(np.concatenate(([True], self.q[1:] != self.q[:-1])))
        if not len(self):
            return {}
        top = np.maximum.reduceat(self.grade, starts)
        return dict(zip([self.qids[c] for c in self.q[starts].tolist()], top.tolist(), strict=True))

    def run_codes(self, dids: np.ndarray) -> np.ndarray:
        """Per judgment, the code of its document among a run's ``dids`` (-1: not in the run),
        as int32 (as pyarrow's lookup gives it: half the memory per judgment)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            found = pc.index_in(self.docs, value_set=string_array(dids.tolist()))
            validity, values = found.buffers()[:2]
            per_doc = np.frombuffer(values, np.int32, len(found), found.offset * 4).copy()
            if validity is not None:  # null: not in the run
                bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
                per_doc[~bits[found.offset : found.offset + len(found)].astype(bool)] = -1
        except (pa.ArrowException, UnicodeEncodeError, OverflowError):  # ids pyarrow cannot hold
            index = {did: i for i, did in enumerate(dids.tolist())}
            per_doc = np.array([index.get(x, -1) for x in self.docs.to_pylist()], np.int32)
        return per_doc[self.d]

    @functools.cached_property
    def _by_grade(self) -> tuple[np.ndarray, np.ndarray]:
        """Row order by query (as stored), then grade desc; each query's first row in it."""
        if not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        key = (self.q << 32) | (MAX_GRADE - self.grade)  # query, then grade desc: one int64
        order = np.argsort(key, kind="stable").astype(np.int32 if len(key) < 2**31 else np.int64)
        del key
        q = self.q[order]
        return order, np.flatnonzero(np.concatenate(([True], q[1:] != q[:-1])))

    def judged(self, qs: list[str], run_codes: np.ndarray) -> Judged:
        """The judgments of ``qs`` (each a query of the table), grouped in ``qs`` order and by
        grade desc within a query (the ideal ranking), gathered without a sort per call."""
        order, starts = self._by_grade
        ends = np.append(starts[1:], len(order))
        position = {qid: i for i, qid in enumerate(self.qids)}
        code_of_start = self.q[order[starts]] if len(order) else starts
        segment = np.empty(len(self.qids), dtype=np.int64)
        segment[code_of_start] = np.arange(len(starts))
        chosen = segment[[position[q] for q in qs]]
        lengths = ends[chosen] - starts[chosen]
        at = np.repeat(starts[chosen] - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        at += np.arange(len(at))  # position in ``order`` of each judgment handed out
        rows = order[at]
        del at
        qi = np.repeat(np.arange(len(qs), dtype=np.int32), lengths)  # int32: 5M judgments, 20 MB
        return Judged(qi, run_codes[rows], self.grade[rows])


def string_array(ids: list[str]) -> Any:
    """A pyarrow string array of ``ids`` built from its buffers: ``pa.array`` on a list, and
    ``fill_null``, import pandas (0.4 s of a cold ``harness eval``) to check for its types."""
    import pyarrow as pa

    encoded = [i.encode("utf-8") for i in ids]
    ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
    if len(ends) and ends[-1] >= 2**31:
        raise OverflowError("over 2 GiB of ids: not one pyarrow string array")
    offsets = np.concatenate(([0], ends)).astype(np.int32)
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))
    )


def judged_from_dict(qrels: Qrels, qs: list[str], doc_code: dict[str, int]) -> Judged:
    """:meth:`QrelsTable.judged` for nested qrels (a run document's code from ``doc_code``)."""
    qi: list[int] = []
    code: list[int] = []
    grade: list[int] = []
    for i, q in enumerate(qs):
        docs = qrels[q]
        qi += [i] * len(docs)
        code += [doc_code.get(did, -1) for did in docs]
        grade += docs.values()
    return Judged(
        np.array(qi, dtype=np.int64), np.array(code, dtype=np.int64), np.array(grade, np.int64)
    )
