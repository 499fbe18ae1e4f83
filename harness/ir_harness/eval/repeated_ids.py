"""Which rows repeat an earlier (query, document) pair, with document ids left in pyarrow.

Why: finding repeats by dictionary-encoding a 5-million-line qrels file's document column held
a hash table of every distinct id beside the column (about 200 MB at 2 million ids). Here each
id is hashed from its bytes with numpy, one parsed block at a time; rows whose (query, hash)
key is unique repeat nothing, and the few others are compared by their actual ids, so a hash
collision never merges two documents.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ir_harness.eval.qrels_table import take_rows

_MULTIPLIER = np.uint64(0x100000001B3)  # odd: byte polynomial base
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
_QUERY_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_BLOCK = 1 << 20


def id_hashes(docs: Any) -> np.ndarray | None:
    """A 64-bit hash of each string of a pyarrow (chunked) string array, or None when a string
    is empty (no TREC field is)."""
    chunks = docs.chunks if hasattr(docs, "chunks") else [docs]
    out = np.empty(len(docs), dtype=np.uint64)
    at = 0
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        got = _chunk_hashes(chunk)
        if got is None:
            return None
        out[at : at + n] = got
        at += n
    return out


def _chunk_hashes(chunk: Any) -> np.ndarray | None:
    offsets = np.frombuffer(chunk.buffers()[1], np.int32, len(chunk) + 1, chunk.offset * 4)
    lens = np.diff(offsets).astype(np.int64)
    if (lens <= 0).any():
        return None
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(chunk.buffers()[2], np.uint8, hi - lo, lo).astype(np.uint64)
    ends = (offsets[1:] - lo).astype(np.int64)
    from_end = np.repeat(ends, lens) - 1 - np.arange(hi - lo)  # byte's place from its id's end
    with np.errstate(over="ignore"):
        powers = np.ones(int(lens.max()), dtype=np.uint64)  # powers[k]: the base to the k
        powers[1:] = np.cumprod(np.full(len(powers) - 1, _MULTIPLIER, dtype=np.uint64))
        terms = data * powers[from_end]
        sums = np.add.reduceat(terms, (offsets[:-1] - lo).astype(np.int64))
        return sums ^ (lens.astype(np.uint64) * _LENGTH_MIX)


def _pair_keys(q: np.ndarray, docs: Any) -> np.ndarray | None:
    """One 64-bit key per row from its query code and document id (equal pairs, equal keys)."""
    key = id_hashes(docs)
    if key is None:
        return None
    with np.errstate(over="ignore"):
        for a in range(0, len(key), _BLOCK):  # in place, a block at a time: no 5M-long temporary
            key[a : a + _BLOCK] ^= q[a : a + _BLOCK].astype(np.uint64) * _QUERY_MIX
    return key


def repeated_pairs(q: np.ndarray, docs: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(first, later)``: each row ``later[i]`` repeats the (query code, document) pair of the
    earlier row ``first[i]``; None when the ids cannot be hashed (the caller's slow path)."""
    empty = np.zeros(0, dtype=np.int64)
    if len(q) < 2:
        return empty, empty
    key = _pair_keys(q, docs)
    if key is None:
        return None
    key.sort()  # in place: the keys are made again in the rare case that one repeats
    twice = key[1:][key[1:] == key[:-1]]
    del key
    if not len(twice):
        return empty, empty
    key = _pair_keys(q, docs)
    assert key is not None
    candidates = np.flatnonzero(np.isin(key, twice))  # rows sharing a key: compare their ids
    ids = take_rows(docs, candidates).to_pylist()
    seen: dict[tuple[int, str], int] = {}
    first: list[int] = []
    later: list[int] = []
    for row, qc, did in zip(candidates.tolist(), q[candidates].tolist(), ids, strict=True):
        earlier = seen.setdefault((qc, did), row)
        if earlier != row:
            first.append(earlier)
            later.append(row)
    return np.array(first, dtype=np.int64), np.array(later, dtype=np.int64)
