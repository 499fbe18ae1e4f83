"""Positions in trec_eval order without sorting the whole run.

Why: the numpy measures read only the judged rows of a run (a few per query in a 1,000-deep
run), yet ordering every row cost a 5-million-row argsort, the largest step of a
``harness eval``. Here each kept row gets one int64 key that sorts as trec_eval orders (query,
float32 score desc, doc id desc); the position of a judged row is the number of rows of its
query with a smaller key, counted for all judged rows at once with one ``searchsorted`` of
every key into the (few) judged keys. Rows whose three parts do not fit 63 bits fall back to
the full sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.eval.run_table import CHUNK_ROWS, fits_one_key, order_key, trec_order

if TYPE_CHECKING:
    from ir_harness.eval.run_table import RunTable


@dataclass
class Ranked:
    """The rows a run keeps (quirks dropped), with what positions are computed from.

    ``q``/``d``/``score``: the kept rows (file order); ``counts``: kept rows per query code;
    ``n_ranked``: the same cut at ``depth`` (None: every row); ``one_key``: whether the order
    fits one int64 key (computed a chunk of rows at a time, never held for the whole run);
    if not, the positions come from the full lexsort.
    """

    q: np.ndarray
    d: np.ndarray
    score: np.ndarray
    counts: np.ndarray
    n_ranked: np.ndarray
    one_key: bool
    did_rank: np.ndarray
    n_docs: int
    depth: int | None
    _known: tuple[np.ndarray, np.ndarray] | None = None  # rows asked for before, positions

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """0-based position of each kept row ``rows`` (distinct) within its query, in trec_eval
        order."""
        if not len(rows):
            return np.zeros(0, dtype=np.int64)
        if self._known is not None:  # each measure group asks again for (mostly) the same rows
            seen, where = self._known
            at = np.minimum(np.searchsorted(seen, rows), len(seen) - 1)
            if (seen[at] == rows).all():
                return where[at]
        seen = np.sort(rows)  # distinct rows: each a row of the run once
        where = self._positions(seen)
        self._known = (seen, where)
        return where[np.searchsorted(seen, rows)]

    def pair_keys(self, codes: np.ndarray) -> np.ndarray:
        """Sorted ``i * n_docs + d`` of the kept rows of query code ``codes[i]``: the (query,
        document) pairs the run has, for finding the judgments that can match a row."""
        qi_of_code = np.full(len(self.counts), -1, dtype=np.int64)
        qi_of_code[codes] = np.arange(len(codes))
        qi = qi_of_code[self.q]
        mine = qi >= 0
        keys = qi[mine] * max(self.n_docs, 1) + self.d[mine]
        keys.sort()
        return keys

    def _positions(self, rows: np.ndarray) -> np.ndarray:
        before = np.concatenate(([0], np.cumsum(self.counts)[:-1]))  # rows of smaller queries
        if not self.one_key:
            s32 = self.score.astype(np.float32)
            order = trec_order(self.q, s32, self.did_rank[self.d], self.n_docs)
            where = np.empty(len(order), dtype=np.int64)
            where[order] = np.arange(len(order))
            return where[rows] - before[self.q[rows]]
        mine = self._keys(rows)
        sorted_keys = np.sort(mine)
        # rows whose key is below judged key i: those with at most i judged keys <= theirs
        below = np.zeros(len(sorted_keys) + 1, dtype=np.int64)
        for a in range(0, len(self.q), CHUNK_ROWS):
            part = self._keys(slice(a, a + CHUNK_ROWS))
            at_most = np.searchsorted(sorted_keys, part, side="right")
            below += np.bincount(at_most, minlength=len(below))
        np.cumsum(below, out=below)
        return below[np.searchsorted(sorted_keys, mine)] - before[self.q[rows]]

    def _keys(self, rows: np.ndarray | slice) -> np.ndarray:
        key = order_key(self.q[rows], self.score[rows], self.d[rows], self.did_rank, self.n_docs)
        assert key is not None  # one_key
        return key


def ranked(
    table: RunTable,
    *,
    depth: int | None,
    excluded_ids: dict[str, set[str]] | None = None,
    ignore_identical_ids: bool = False,
) -> Ranked:
    """The rows of ``table`` that :meth:`RunTable.prepared` keeps, unsorted, with their keys."""
    keep = table.kept(excluded_ids=excluded_ids, ignore_identical_ids=ignore_identical_ids)
    if keep is None:
        q, d, score = table.q, table.d, table.score
    else:
        q, d, score = table.q[keep], table.d[keep], table.score[keep]
    n_docs = len(table.dids)
    did_rank = table.did_rank()
    counts = np.bincount(q, minlength=len(table.qids)).astype(np.int64)
    n_ranked = counts if depth is None else np.minimum(counts, depth)
    one_key = fits_one_key(len(table.qids), n_docs)
    return Ranked(q, d, score, counts, n_ranked, one_key, did_rank, n_docs, depth)
