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


# Pair slots of the duplicate check: a pass covers as many queries as fit (1 MB of int32 stays
# in cache; up to 16 MB for runs with more distinct documents).
_SLOTS, _MAX_SLOTS = 1 << 18, 1 << 22


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
        if not self._may_repeat():
            return None
        key = self.q * max(len(self.dids), 1) + self.d
        ordered = np.sort(key)
        if len(key) < 2 or (ordered[1:] != ordered[:-1]).all():
            return None
        order = np.argsort(key, kind="stable")  # rare: find which row repeats
        same = np.flatnonzero(key[order][1:] == key[order][:-1])
        return int(order[same + 1].min())

    def _may_repeat(self) -> bool:
        return pairs_may_repeat(self.q, self.d, len(self.dids))

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
        keep = self.kept(excluded_ids=excluded_ids, ignore_identical_ids=ignore_identical_ids)
        if keep is not None:
            q, d, s32 = self.q[keep], self.d[keep], self.score[keep].astype(np.float32)
        else:
            q, d, s32 = self.q, self.d, self.score.astype(np.float32)
        order = trec_order(q, s32, self.did_rank()[d], len(self.dids))
        q, d, s32 = q[order], d[order], s32[order]
        if len(q) and depth is not None:
            pos = np.arange(len(q)) - _group_starts(q)[np.cumsum(_new_group(q)) - 1]
            top = pos < depth
            q, d, s32 = q[top], d[top], s32[top]
        return RunTable(self.qids, self.dids, q, d, s32.astype(np.float64))

    def kept(
        self,
        *,
        excluded_ids: dict[str, set[str]] | None = None,
        ignore_identical_ids: bool = False,
    ) -> np.ndarray | None:
        """Mask of the rows scored (NaN scores, excluded ids, self-hits dropped); None: all."""
        keep = ~np.isnan(self.score)
        if ignore_identical_ids:
            keep &= self._self_hits()
        if excluded_ids:
            keep &= self._not_excluded(excluded_ids)
        return None if keep.all() else keep

    def did_rank(self) -> np.ndarray:
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


def pairs_may_repeat(q: np.ndarray, d: np.ndarray, n_docs: int) -> bool:
    """False when no (q, d) pair repeats, decided without a sort for rows grouped by ``q`` (as
    runs and qrels are written): each row writes its number into a slot per pair, and a pair
    written twice reads back a number that is not its own. True: undecided (sort to know)."""
    n, n_docs = len(q), max(n_docs, 1)
    if n < 2:
        return False
    if n_docs > _MAX_SLOTS or bool((q[1:] < q[:-1]).any()):
        return True
    per = max(_SLOTS // n_docs, 1)  # queries per pass
    bases = np.arange(int(q[0]), int(q[-1]) + 1, per)
    cuts = [*np.searchsorted(q, bases).tolist(), n]
    slot = np.empty(per * n_docs, dtype=np.int32)
    for base, a, b in zip(bases.tolist(), cuts[:-1], cuts[1:], strict=False):
        if a == b:
            continue
        pair = (q[a:b] - base) * n_docs + d[a:b]
        mine = np.arange(b - a, dtype=np.int32)
        slot[pair] = mine
        if bool((slot[pair] != mine).any()):
            return True
    return False


def trec_order(q: np.ndarray, s32: np.ndarray, did_rank: np.ndarray, n_docs: int) -> np.ndarray:
    """Row order by query code, then float32 score desc, then doc id desc (``did_rank``: each
    row's document rank in ascending id order).

    One int64 key (:func:`order_key`) and one argsort when the three fit in 63 bits; a
    three-key lexsort otherwise (e.g. millions of distinct documents), which is several times
    slower.
    """
    key = order_key(q, s32, np.arange(len(did_rank)), did_rank, n_docs)
    if key is None:
        return np.lexsort((-did_rank, _score_desc(s32), q))
    return np.argsort(key, kind="stable")


def _score_desc(s32: np.ndarray) -> np.ndarray:
    """Inverted order-preserving bits of float32 scores: 0 for the highest, ``2**32 - 1``
    for the lowest (-0.0 is 0.0), as int64."""
    bits = (s32 + np.float32(0.0)).view(np.int32)  # + 0.0: -0.0 -> 0.0
    flipped = bits ^ ((bits >> 31) & 0x7FFFFFFF)  # int32 that sorts as the float32 does
    return (np.uint32(0x7FFFFFFF) - flipped.view(np.uint32)).astype(np.int64)  # wraps mod 2**32


CHUNK_ROWS = 1 << 20  # rows per step of the key: temporaries of a few MB, not of the whole run


def fits_one_key(n_queries: int, n_docs: int) -> bool:
    """Whether query codes below ``n_queries``, float32 bits and document ranks below
    ``n_docs`` fit one int64 order key (63 bits)."""
    q_bits = max(n_queries - 1, 1).bit_length()
    return q_bits + 32 + max(n_docs - 1, 1).bit_length() <= 63


def order_key(
    q: np.ndarray, score: np.ndarray, d: np.ndarray, did_rank: np.ndarray, n_docs: int
) -> np.ndarray | None:
    """One int64 per row that sorts as trec_eval orders (query | inverted float32 score bits |
    inverted rank of the row's document ``did_rank[d]``), or None when the three do not fit 63
    bits. ``score`` may be float64: each value is compared as its float32."""
    if not fits_one_key(int(q.max(initial=0)) + 1, n_docs):
        return None
    doc_bits = max(n_docs - 1, 1).bit_length()
    inverted = (n_docs - 1 - did_rank).astype(np.int64)
    key = np.empty(len(q), dtype=np.int64)
    for a in range(0, len(q), CHUNK_ROWS):
        part = key[a : a + CHUNK_ROWS]
        np.left_shift(q[a : a + CHUNK_ROWS], 32 + doc_bits, out=part, dtype=np.int64)
        part |= _score_desc(score[a : a + CHUNK_ROWS].astype(np.float32)) << doc_bits
        part |= inverted[d[a : a + CHUNK_ROWS]]
    return key


def _new_group(q: np.ndarray) -> np.ndarray:
    first = np.ones(len(q), dtype=bool)
    first[1:] = q[1:] != q[:-1]
    return first


def _group_starts(q: np.ndarray) -> np.ndarray:
    return np.flatnonzero(_new_group(q))
