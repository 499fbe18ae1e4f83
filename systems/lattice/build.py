"""The two LATTICE tree builders (ours: the authors did not release theirs).

* ``bottom_up``: embed the documents, group them into clusters of at most ``max_children``,
  describe each cluster from its members, and repeat on the clusters (their vectors are the
  normalised centroids of their members) until at most ``max_children`` nodes are left; those
  are the root's children. A one-member group is not wrapped in a new node.
* ``top_down``: describe every document at ``levels`` levels of detail (broad to specific), then
  split the corpus recursively: at depth d the members are clustered on their level-d
  descriptions into at most ``max_children`` parts, each part is described, and parts larger
  than ``max_children`` are split again one level deeper.

Leaves carry the document id and its full text (shown to the search LLM, truncated at prompt
time); internal node ids are their preorder paths (``"0.3.1"``).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.systems.lattice.cluster import embed, group
from ir_harness.systems.lattice.tree import Node, StoredTree

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus
    from ir_harness.run.context import RunContext
    from ir_harness.systems.lattice.summarize import Summarizer


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _name(node: Node, path: str = "") -> None:
    if node.child:
        node.id = path or "root"
        for i, c in enumerate(node.child):
            _name(c, f"{path}.{i}" if path else str(i))


def bottom_up(
    corpus: Corpus,
    summarizer: Summarizer,
    ctx: RunContext,
    *,
    max_children: int = 10,
    embedder: str = "dense",
    embed_model: str | None = None,
    seed: int = 0,
) -> Node:
    """Leaves are the corpus documents; each level groups the current nodes by embedding and
    describes the multi-member groups, until at most ``max_children`` remain under the root (or a
    level merges nothing)."""
    nodes = [Node(id=d, desc=corpus[d].full_text) for d in corpus.ids()]
    vecs = embed([n.desc for n in nodes], embedder, ctx, embed_model)
    level = 0
    while len(nodes) > max_children:
        groups = group(vecs, max_children, seed=seed + level)
        multi = [g for g in groups if len(g) > 1]
        descs = summarizer.summarize(
            [[nodes[i].desc for i in g] for g in multi], [vecs[g] for g in multi]
        )
        made = iter(descs)
        new_nodes, new_vecs = [], []
        for g in groups:
            if len(g) == 1:
                new_nodes.append(nodes[g[0]])
            else:
                new_nodes.append(Node(desc=next(made), child=[nodes[i] for i in g]))
            new_vecs.append(_unit(vecs[g].mean(0)))
        if len(new_nodes) == len(nodes):  # no merge happened; cannot loop forever
            break
        nodes, vecs, level = new_nodes, np.array(new_vecs), level + 1
        ctx.count("lattice_build_levels")
    root = Node(desc="root", child=nodes)
    _name(root)
    return root


def top_down(
    corpus: Corpus,
    summarizer: Summarizer,
    ctx: RunContext,
    *,
    max_children: int = 10,
    levels: int = 3,
    embedder: str = "dense",
    embed_model: str | None = None,
    seed: int = 0,
) -> Node:
    """Splits the corpus from the root down, clustering at depth d on each document's level-d
    description (the last level below that); no internal node gets more than ``max_children``
    children."""
    ids = corpus.ids()
    texts = [corpus[d].full_text for d in ids]
    multi = summarizer.doc_levels(texts, levels)
    level_vecs = [embed([m[lv] for m in multi], embedder, ctx, embed_model) for lv in range(levels)]

    def split(members: list[int], depth: int) -> list[Node]:
        if len(members) <= max_children:
            return [Node(id=ids[m], desc=texts[m]) for m in members]
        lv = min(depth, levels - 1)
        x = level_vecs[lv][members]
        k = min(max_children, math.ceil(len(members) / max_children))
        parts = [
            [members[i] for i in g] for g in group(x, len(members) - 1, k=k, seed=seed + depth)
        ]
        if len(parts) > max_children:  # k-means kept k parts, so this is only the fallback path
            parts = [sum(parts[i::max_children], []) for i in range(max_children)]
        descs = summarizer.summarize(
            [[multi[m][lv] for m in p] for p in parts], [level_vecs[lv][p] for p in parts]
        )
        return [
            Node(desc=d, child=split(p, depth + 1)) if len(p) > 1 else split(p, depth + 1)[0]
            for p, d in zip(parts, descs)
        ]

    root = Node(desc="root", child=split(list(range(len(ids))), 0))
    _name(root)
    return root


def builder_params(
    method: str, max_children: int, levels: int, embedder: str, embed_model: str | None, seed: int
) -> dict[str, Any]:
    """The settings that change the built tree: the cache key and the stored ``builder`` record.
    ``embed_model`` counts only for ``dense`` and ``levels`` only for top-down, so options that
    cannot change the tree never split the cache."""
    p: dict[str, Any] = {
        "method": method,
        "max_children": max_children,
        "embedder": embedder,
        "embed_model": embed_model if embedder == "dense" else None,
        "seed": seed,
    }
    if method == "top-down":
        p["levels"] = levels
    return p


def make_tree(
    corpus: Corpus,
    ctx: RunContext,
    *,
    method: str = "bottom-up",
    summarizer: str = "llm",
    llm: Any = None,
    max_children: int = 10,
    levels: int = 3,
    embedder: str = "dense",
    embed_model: str | None = None,
    seed: int = 0,
) -> StoredTree:
    """Build a tree for ``corpus``; ``llm`` is an ``LLMHandle`` (needed for ``summarizer=llm``)."""
    from ir_harness.systems.lattice.summarize import ExtractiveSummarizer, LLMSummarizer

    if method not in ("bottom-up", "top-down"):
        raise ValueError(f"builder {method!r}: expected bottom-up or top-down")
    params = builder_params(method, max_children, levels, embedder, embed_model, seed)
    extractive = ExtractiveSummarizer(corpus.texts())
    session = None
    summ: Any = extractive
    if summarizer == "llm":
        from ir_harness.llm.progress import LLMProgress
        from ir_harness.llm.session import LLMSession

        session = LLMSession(llm.get(ctx), ctx)
        # About one summary per internal node (n / (fan-out - 1)); top-down adds one per document.
        est = math.ceil(len(corpus) / max(1, max_children - 1))
        est += len(corpus) if method == "top-down" else 0
        progress = LLMProgress("lattice tree", ctx, None, None, unit="summaries", per_call=True)
        log.info("lattice tree: about %d LLM summary calls for %d documents", est, len(corpus))
        session.progress = progress
        summ = LLMSummarizer(session, extractive, ctx)
        params["summarizer"] = {"name": "llm", **llm.meta_fields()["llm"]}
    elif summarizer == "extractive":
        params["summarizer"] = {"name": "extractive"}
    else:
        raise ValueError(f"summarizer {summarizer!r}: expected llm or extractive")
    try:
        kw: dict[str, Any] = {
            "max_children": max_children,
            "embedder": embedder,
            "embed_model": embed_model,
        }
        if method == "bottom-up":
            root = bottom_up(corpus, summ, ctx, seed=seed, **kw)
        else:
            root = top_down(corpus, summ, ctx, levels=levels, seed=seed, **kw)
    finally:
        if session is not None:
            session.close()
            if session.progress is not None:
                session.progress.close()
    return StoredTree(root=root, corpus_hash=corpus.content_hash, builder=params)
