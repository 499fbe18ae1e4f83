"""The one ranking order every top-k path follows, NaN and infinities included.

Every exact top-k path (fused CPU selection, torch CPU and CUDA merges, the bf16 prefilter,
the streaming merge over store shards, the Ray merge of shard groups) ranks (score, corpus
index) pairs by this rule, bit for bit:

1. Higher score first; ``+inf`` is the highest score, ``-inf`` the lowest number.
2. NaN, of any sign or payload (``0 * inf`` gives the negative-sign ``0xFFC00000``), ranks
   below ``-inf``; all NaNs are equal to each other.
3. ``-0.0`` equals ``+0.0``.
4. Equal scores (all NaNs included): the lower corpus index first; when equal scores straddle
   the k-th place, the lowest indices stay.
5. Scores come back canonical: ``-0.0`` as ``+0.0``, every NaN as the quiet NaN
   ``0x7FC00000``. The other bits are the fp32 bits the product computed.

Why NaN at the bottom: a NaN score (a zero-norm vector under cosine, fp16 overflow) carries no
evidence of relevance, so it must never push a real score out; putting it at the top (what
``torch.topk`` does) or letting its sign bit decide (what an integer view of the bits does)
gives different answers on different paths.

The reranker's string-keyed sort (``ir_harness.data.model.ranked``) follows rules 1-3 and breaks ties
by document id descending, the trec_eval convention for run files.

Implementation: :func:`score_keys` maps fp32 scores to int32 keys ordered like rule 1-3 (NaN
takes ``INT32_MIN``, a key no number has); :func:`order_keys` packs a key and an index into one
int64, unique per pair and larger for the better-ranked pair.
"""

from __future__ import annotations

import numpy as np

CANONICAL_NAN_BITS = 0x7FC00000
NAN_KEY = np.int32(-(2**31))  # below the key of -inf (-2139095041)
_MASK = np.int32(0x7FFFFFFF)
_INF_BITS = 0x7F800000
_LOW = 0xFFFFFFFF  # indices live in the low 32 bits of an order key


def score_keys(scores: np.ndarray) -> np.ndarray:
    """Order-preserving int32 keys of fp32 scores under the rule (NaN lowest, -0.0 = +0.0)."""
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.int32)
    t = bits ^ ((bits >> 31) & _MASK)
    t = t + (t == -1)  # -0.0's key -1 -> +0.0's key 0
    return np.where((bits & _MASK) > _INF_BITS, NAN_KEY, t).astype(np.int32)


def key_scores(keys: np.ndarray) -> np.ndarray:
    """Canonical fp32 scores of keys (inverse of :func:`score_keys` up to rule 5)."""
    k = np.asarray(keys, dtype=np.int32)
    bits = k ^ ((k >> 31) & _MASK)
    bits = np.where(k == NAN_KEY, np.int32(CANONICAL_NAN_BITS), bits).astype(np.int32)
    return bits.view(np.float32)


def canonical(scores: np.ndarray) -> np.ndarray:
    """fp32 scores with ``-0.0`` as ``+0.0`` and every NaN as ``0x7FC00000`` (rule 5)."""
    return key_scores(score_keys(scores))


def order_keys(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """One int64 per (score, index) pair: larger means ranked higher; unique per index."""
    idx = np.asarray(idx, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= _LOW):
        raise ValueError("indices must lie in [0, 2**32 - 1) to be packed into order keys")
    return score_keys(scores).astype(np.int64) * (1 << 32) + (_LOW - idx)


def rank_rows(scores: np.ndarray, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` of each row of (scores, indices) under the rule; canonical scores."""
    if scores.shape[1] == 0:
        return scores.astype(np.float32), idx.astype(np.int64)
    keys = order_keys(scores, idx)
    order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
    return canonical(np.take_along_axis(scores, order, 1)), np.take_along_axis(idx, order, 1)


def reference_topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k of a full (queries x docs) fp32 score matrix by the rule, with a plain Python sort.

    Deliberately written without keys (a per-element sort key), so tests compare every path
    against an independent statement of the rule.
    """
    s = np.asarray(scores, dtype=np.float32)
    out_s, out_i = [], []
    for row in s:

        def rank(j: int, row: np.ndarray = row) -> tuple[int, float, int]:
            v = float(row[j])
            return (1, 0.0, j) if v != v else (0, -v, j)  # NaN last; -(-0.0) == 0.0

        top = sorted(range(len(row)), key=rank)[:k]
        out_i.append(top)
        out_s.append(canonical(row[top]))
    n = min(k, s.shape[1])
    return (
        np.array(out_s, dtype=np.float32).reshape(len(s), n),
        np.array(out_i, dtype=np.int64).reshape(len(s), n),
    )
