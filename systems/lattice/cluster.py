"""Vectors and grouping for the tree builders: embedders and k-means with a maximum fan-out.

``dense`` embeds with the harness's dense retriever (MiniLM by default, cached by content);
``hash`` is a model-free hashed TF-IDF embedding, enough to build a tree in tests or without
weights. Grouping is plain seeded k-means (k-means++ start) in numpy; a group larger than the
fan-out is grouped again, so no node ever gets more than ``max_children`` children.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ir_harness.run.context import RunContext

_WORD = re.compile(r"[a-z][a-z0-9]+")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your yours one two may might must shall us use used using new first""".split()
)


def words(text: str) -> list[str]:
    """Lowercased tokens of two or more characters starting with a letter, minus stopwords: the one
    tokenisation the hash embedder and the extractive keywords share."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def hash_embed(texts: list[str], dim: int = 512) -> np.ndarray:
    """L2-normalised hashed bag of words with sublinear tf and in-batch idf."""
    rows = [words(t) for t in texts]
    df: dict[str, int] = {}
    for r in rows:
        for w in set(r):
            df[w] = df.get(w, 0) + 1
    n = len(texts)
    out = np.zeros((n, dim), dtype=np.float32)
    for i, r in enumerate(rows):
        tf: dict[str, int] = {}
        for w in r:
            tf[w] = tf.get(w, 0) + 1
        for w, c in tf.items():
            j = int(hashlib.md5(w.encode()).hexdigest()[:8], 16) % dim
            out[i, j] += (1 + math.log(c)) * math.log((n + 1) / (df[w] + 0.5))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def embed(texts: list[str], embedder: str, ctx: RunContext, model: str | None = None) -> np.ndarray:
    """Rows of unit vectors for ``texts`` with the named embedder (``dense`` or ``hash``)."""
    if embedder == "hash":
        return hash_embed(texts)
    if embedder == "dense":
        from ir_harness.systems.dense import DEFAULT_MODEL, DenseRetriever

        vecs = DenseRetriever(model or DEFAULT_MODEL).encode(texts, "document", ctx)
        return np.asarray(vecs, dtype=np.float32)
    raise ValueError(f"embedder {embedder!r}: expected dense or hash")


def kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 50) -> np.ndarray:
    """Cluster labels (cosine geometry on unit vectors) from k-means++ + Lloyd iterations."""
    n = len(x)
    rng = np.random.default_rng(seed)
    centers = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d = np.min([((x - c) ** 2).sum(1) for c in centers], axis=0)
        if d.sum() <= 0:
            break
        centers.append(x[int(rng.choice(n, p=d / d.sum()))])
    c = np.array(centers)
    labels = np.zeros(n, dtype=int)
    for it in range(iters):
        new = np.argmax(x @ c.T, axis=1)
        if it and np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(c)):
            m = x[labels == j]
            if len(m):
                v = m.mean(0)
                c[j] = v / (np.linalg.norm(v) or 1.0)
    return labels


def _chunks(members: list[int], x: np.ndarray, size: int) -> list[list[int]]:
    """Fallback split when k-means cannot separate points: contiguous runs along the main axis."""
    sub = x[members]
    centered = sub - sub.mean(0)
    axis = np.linalg.svd(centered, full_matrices=False)[2][0] if len(sub) > 1 else None
    order = np.argsort(centered @ axis, kind="stable") if axis is not None else np.arange(len(sub))
    ordered = [members[i] for i in order]
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def group(x: np.ndarray, max_children: int, k: int | None = None, seed: int = 0) -> list[list[int]]:
    """Partition rows of ``x`` into groups of at most ``max_children`` (k groups to start)."""
    if max_children < 2:
        raise ValueError("max_children must be at least 2")
    n = len(x)
    if n <= max_children:
        return [list(range(n))]
    k = k or math.ceil(n / max_children)
    labels = kmeans(x, min(k, n), seed=seed)
    raw = [list(np.flatnonzero(labels == j)) for j in range(labels.max() + 1)]
    groups = [g for g in raw if g]
    if len(groups) == 1:  # identical points: split by position instead
        return _chunks(list(range(n)), x, max_children)
    out: list[list[int]] = []
    for g in groups:
        if len(g) <= max_children:
            out.append([int(i) for i in g])
        else:
            for sub in group(x[g], max_children, seed=seed):
                out.append([int(g[i]) for i in sub])
    return out
