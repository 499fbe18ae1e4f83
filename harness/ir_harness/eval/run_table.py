"""A run held as columns: integer codes for query and document ids plus a score array.

Why: scoring a 5,000 x 1,000 run spent most of its time in per-document Python (parsing,
quirks, sorting, truncation). Here the task quirks, trec_eval's ordering (float32 score desc,
doc id desc) and truncation are array operations; each distinct id is a Python string once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ir_harness.data.model import Run


@dataclass(frozen=True)
class RunTable:
    """Rows ``(qids[q[i]], dids[d[i]], score[i])``; ``qids``/``dids`` hold each id once."""

    qids: np.ndarray  # object array of str, unique
    dids: np.ndarray  # object array of str, unique
    q: np.ndarray  # int64 row -> index into qids
    d: np.ndarray  # int64 row -> index into dids
    score: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.score)

    @classmethod
    def from_dict(cls, run: Run) -> RunTable:
        """Columns of a nested dict, rows in its iteration order."""
        import pandas as pd

        qids = np.array(list(run), dtype=object)
        sizes = np.fromiter((len(v) for v in run.values()), dtype=np.int64, count=len(run))
        total = int(sizes.sum())
        flat_d = np.empty(total, dtype=object)
        score = np.empty(total, dtype=np.float64)
        i = 0
        for docs in run.values():
            j = i + len(docs)
            flat_d[i:j] = list(docs)
            score[i:j] = list(docs.values())
            i = j
        codes, dids = pd.factorize(flat_d, sort=False)
        q = np.repeat(np.arange(len(qids), dtype=np.int64), sizes)
        return cls(qids, np.asarray(dids, dtype=object), q, codes.astype(np.int64), score)

    def to_dict(self) -> Run:
        """Nested dict, queries in order of first appearance, documents in row order."""
        out: Run = {}
        if not len(self):
            return out
        q_list, d_list, s_list = self.q.tolist(), self.dids[self.d].tolist(), self.score.tolist()
        qids = self.qids.tolist()
        for qc, did, s in zip(q_list, d_list, s_list, strict=True):
            docs = out.get(qids[qc])
            if docs is None:
                docs = out[qids[qc]] = {}
            docs[did] = s
        return out

    def rows_per_query(self) -> dict[str, int]:
        """Rows of each query that has any, in order of first appearance."""
        counts = np.bincount(self.q, minlength=len(self.qids))
        return {qid: int(c) for qid, c in zip(self.qids.tolist(), counts.tolist()) if c}

    def first_duplicate(self) -> int | None:
        """Row index of the first repeated (query, document) pair, or None."""
        key = self.q * max(len(self.dids), 1) + self.d
        ordered = np.sort(key)
        if len(key) < 2 or (ordered[1:] != ordered[:-1]).all():
            return None
        order = np.argsort(key, kind="stable")  # rare: find which row repeats
        same = np.flatnonzero(key[order][1:] == key[order][:-1])
        return int(order[same + 1].min())

    def prepared(
        self,
        *,
        depth: int | None,
        excluded_ids: dict[str, set[str]] | None = None,
        ignore_identical_ids: bool = False,
    ) -> RunTable:
        """Quirks, then trec_eval order and truncation, as array operations.

        Drops NaN scores, the task's excluded ids and (if asked) self-hits *before* truncating
        to ``depth`` (BRIGHT, BEIR; None keeps every document, as trec_eval does); orders each
        query by float32 score desc, then doc id desc; scores come back as the float32 values.
        Queries keep their order of first appearance.
        """
        keep = ~np.isnan(self.score)
        if ignore_identical_ids:
            keep &= self._self_hits()
        if excluded_ids:
            keep &= self._not_excluded(excluded_ids)
        if not keep.all():
            q, d, s32 = self.q[keep], self.d[keep], self.score[keep].astype(np.float32)
        else:
            q, d, s32 = self.q, self.d, self.score.astype(np.float32)
        order = _trec_order(q, s32, self._did_rank()[d], len(self.dids))
        q, d, s32 = q[order], d[order], s32[order]
        if len(q) and depth is not None:
            pos = np.arange(len(q)) - _group_starts(q)[np.cumsum(_new_group(q)) - 1]
            top = pos < depth
            q, d, s32 = q[top], d[top], s32[top]
        return RunTable(self.qids, self.dids, q, d, s32.astype(np.float64))

    def _did_rank(self) -> np.ndarray:
        """Each document's position in ascending id order (Python string order)."""
        rank = np.empty(len(self.dids), dtype=np.int64)
        rank[np.argsort(self.dids, kind="stable")] = np.arange(len(self.dids))
        return rank

    def _self_hits(self) -> np.ndarray:
        """False where the document id equals the query id."""
        index = {did: i for i, did in enumerate(self.dids.tolist())}
        as_doc = np.array([index.get(qid, -1) for qid in self.qids.tolist()], dtype=np.int64)
        return as_doc[self.q] != self.d

    def _not_excluded(self, excluded_ids: dict[str, set[str]]) -> np.ndarray:
        """False for the (query, document) pairs the task excludes."""
        q_index = {qid: i for i, qid in enumerate(self.qids.tolist())}
        d_index = {did: i for i, did in enumerate(self.dids.tolist())}
        n = max(len(self.dids), 1)
        banned = [
            q_index[qid] * n + d_index[did]
            for qid, docs in excluded_ids.items()
            if qid in q_index
            for did in docs
            if did in d_index
        ]
        if not banned:
            return np.ones(len(self), dtype=bool)
        return ~np.isin(self.q * n + self.d, np.array(banned, dtype=np.int64))

    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        """For a table grouped by query (as :meth:`prepared` returns it): the query code of each
        group and the group boundaries (``len(codes) + 1`` offsets)."""
        if not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        starts = _group_starts(self.q)
        return self.q[starts], np.append(starts, len(self.q))


def _trec_order(q: np.ndarray, s32: np.ndarray, did_rank: np.ndarray, n_docs: int) -> np.ndarray:
    """Row order by query code, then float32 score desc, then doc id desc.

    One int64 key (query | inverted order-preserving score bits | inverted doc rank) and one
    argsort when the three fit in 63 bits; a three-key lexsort otherwise (e.g. millions of
    distinct documents), which is several times slower.
    """
    doc_bits = max(n_docs - 1, 1).bit_length()
    q_bits = max(int(q.max(initial=0)), 1).bit_length()
    bits = (s32 + np.float32(0.0)).view(np.int32).astype(np.int64)  # + 0.0: -0.0 -> 0.0
    score_desc = (2**31 - 1) - (bits ^ ((bits >> 31) & 0x7FFFFFFF))  # 0 .. 2**32 - 1
    if q_bits + 32 + doc_bits > 63:
        return np.lexsort((-did_rank, score_desc, q))
    key = (q << (32 + doc_bits)) | (score_desc << doc_bits) | (n_docs - 1 - did_rank)
    return np.argsort(key, kind="stable")


def _new_group(q: np.ndarray) -> np.ndarray:
    first = np.ones(len(q), dtype=bool)
    first[1:] = q[1:] != q[:-1]
    return first


def _group_starts(q: np.ndarray) -> np.ndarray:
    return np.flatnonzero(_new_group(q))
