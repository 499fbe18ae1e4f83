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

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ir_harness.data.threads import map_blocks
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
        def counted(a: int) -> np.ndarray:
            at_most = np.searchsorted(sorted_keys, self._keys(slice(a, a + CHUNK_ROWS)), "right")
            return np.bincount(at_most, minlength=len(sorted_keys) + 1)

        below = np.zeros(len(sorted_keys) + 1, dtype=np.int64)
        for part in map_blocks(counted, len(self.q), CHUNK_ROWS):
            below += part
        np.cumsum(below, out=below)
        return below[np.searchsorted(sorted_keys, mine)] - before[self.q[rows]]

    def _keys(self, rows: np.ndarray | slice) -> np.ndarray:
        key = order_key(self.q[rows], self.score[rows], self.d[rows], self.did_rank, self.n_docs)
        assert key is not None  # one_key
        return key


FEW_PAIRS = 1 << 16  # questions of up to this many pairs (or FEW_SHARE-th of the run) scan it
FEW_SHARE = 8
PACKED_LIMIT = 2**63 - 1  # pair * n_rows + row up to this: one int64 sorted in place


class RunPairs:
    """Where a run holds each (query index, document code) pair, for the queries of ``codes``.

    A pair is ``i * n_docs + d`` for a kept row of query code ``codes[i]``. Asked about few
    pairs (a small qrels file), the run's rows are scanned once against them, sorted: nothing
    the size of the run is sorted. Asked about many (a qrels file as large as the run), the
    run's own pairs are sorted once and each question is a lookup. Either way only rows whose
    document is judged somewhere (``judged_docs``, a mask over document codes) are looked at.
    """

    def __init__(self, ranked: Ranked, codes: np.ndarray, judged_docs: np.ndarray) -> None:
        self.n_docs = max(ranked.n_docs, 1)
        self.few = max(len(ranked.q) // FEW_SHARE, FEW_PAIRS)  # questions this small scan
        self._ranked, self._codes, self._judged_docs = ranked, codes, judged_docs
        self._sorted: tuple[np.ndarray, np.ndarray | None] | None = None  # pairs, rows

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """The kept row of the run holding each pair of ``keys`` (-1: the run lacks it)."""
        if self._sorted is None and len(keys) <= self.few:
            wanted = np.unique(keys)
            row_of = np.full(len(wanted), -1, dtype=np.int64)
            if not len(wanted):
                return row_of[:0]

            def found(a: int) -> tuple[np.ndarray, np.ndarray]:
                rows, part = self._block(a)
                at, hit = _find(wanted, part)
                return at[hit], rows[hit]

            for at, hit_rows in map_blocks(found, len(self._ranked.q), CHUNK_ROWS):
                row_of[at] = hit_rows  # a pair is at most one row of the run
            return row_of[np.searchsorted(wanted, keys)]
        if self._sorted is None:
            self._sorted = self._sorted_pairs()
        pairs, sorted_rows = self._sorted
        if not len(pairs):
            return np.full(len(keys), -1, dtype=np.int64)
        if sorted_rows is None:  # each entry is pair * n_rows + row
            n_rows = max(len(self._ranked.q), 1)
            at = np.minimum(np.searchsorted(pairs, keys * n_rows), len(pairs) - 1)
            found_at = pairs[at]
            return np.where(found_at // n_rows == keys, found_at % n_rows, -1)
        at, hit = _find(pairs, keys)
        return np.where(hit, sorted_rows[at], -1)

    def _sorted_pairs(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The run's pairs sorted, with their rows: where ``pair * n_rows + row`` fits 63 bits,
        one int64 array sorted in place (the run's size once, not three times for an argsort)."""
        n = len(self._ranked.q)
        n_rows = max(n, 1)
        empty = np.zeros(0, np.int64)
        if (len(self._codes) * self.n_docs + 1) * n_rows <= PACKED_LIMIT:

            def packed_block(a: int) -> np.ndarray:
                rows, pairs = self._block(a)
                return pairs * n_rows + rows

            packed = np.concatenate([empty, *map_blocks(packed_block, n, CHUNK_ROWS)])
            packed.sort()
            return packed, None
        blocks = map_blocks(self._block, n, CHUNK_ROWS)
        pairs = np.concatenate([empty, *(k for _, k in blocks)])
        order = np.argsort(pairs)
        rows = np.concatenate([empty, *(r for r, _ in blocks)])[order]
        del blocks
        return pairs[order], rows

    @functools.cached_property
    def _qi_of_code(self) -> np.ndarray:
        out = np.full(len(self._ranked.counts), -1, dtype=np.int64)
        out[self._codes] = np.arange(len(self._codes))
        return out

    def _block(self, a: int) -> tuple[np.ndarray, np.ndarray]:
        """(kept rows, their pairs) of block ``a`` of the run's rows: the rows of the chosen
        queries with a judged document."""
        r = self._ranked
        d = r.d[a : a + CHUNK_ROWS]
        rows = np.flatnonzero(self._judged_docs[d])
        qi = self._qi_of_code[r.q[a + rows]]
        mine = qi >= 0
        rows = rows[mine]
        return rows + a, qi[mine] * self.n_docs + d[rows]


def _find(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` is in the non-empty ``sorted_keys`` (clipped to the last entry),
    and whether it is there."""
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return at, sorted_keys[at] == keys


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
