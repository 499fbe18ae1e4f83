"""LATTICE's online traversal for one query (the authors' algorithm), independent of any LLM.

``Traversal`` holds the prediction state over a ``FlatTree``; ``next_slates`` says what to ask,
``update`` takes the answers (slate position -> score in [0, 1], or None for an unusable answer)
and ``leaf_scores`` gives the final ranking. A scorer is any callable from slates to answers, so
the same code runs with an LLM and, in tests, with a deterministic scorer.

Where the paper's text and the authors' code (``nilesh2797/lattice`` ``src/tree_objects.py``)
differ, we follow the code and say so here:

* Beam selection uses path relevance built from the *raw* local LLM scores; calibrated scores
  enter only the final leaf score and the calibration-leaf sampling (the blog says calibrated
  scores feed path relevance).
* A slate whose answer cannot be parsed adds no observation and leaves its node unexpanded, so
  the node competes for the beam again (a retry), as in the code.
* The anchor added to an internal node's slate is the explored node at the *node's own* depth
  with the highest path relevance (it may be the node itself), as in the code.

And one place where we follow the spec rather than the code: an internal node whose leaves are
all excluded counts as excluded (local 0, "No Description."). In the released code the
corresponding check can only return False for internal nodes, so only leaves are ever masked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.systems.lattice.calibrate import (
    Calibrator,
    calibration_weights,
    gmm_threshold,
    lambda_for,
)
from ir_harness.systems.lattice.tree import NO_DESCRIPTION

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.systems.lattice.tree import FlatTree


@dataclass(frozen=True)
class TraversalParams:
    """The traversal's settings with the paper's static-corpus defaults; recorded in the result
    metadata through ``as_dict``."""

    beam: int = 2
    iterations: int = 20
    alpha: float = 0.5  # relevance chain factor (0.75 for dynamic corpora)
    cutoff: float = 0.09  # local scores at or below this cut the path instead of chaining
    calib_leaves: int = 10
    tau: float = 5.0
    calibrator: str = "mse"  # mse | pl | a weight in [0, 1] | none (raw local scores)
    calib_steps: int = 200

    def as_dict(self) -> dict[str, Any]:
        """Every field by name, for the result metadata."""
        return asdict(self)


@dataclass
class Slate:
    """What one LLM call shows: the beam node's children, then extras (calibration leaves or an
    anchor), with the descriptions as shown; answer keys are positions in ``items``."""

    node: int  # the beam node being expanded
    items: list[int]  # registry ids shown, in prompt order: its children, then extras
    descs: list[str]
    leaf: bool  # all children are leaves: leaf prompt and calibration leaves


Answer = dict[int, float] | None


def chain(local: float, parent_path: float, alpha: float, cutoff: float) -> float:
    """Path relevance: alpha*local + (1-alpha)*parent when local > cutoff, else local."""
    return alpha * local + (1 - alpha) * parent_path if local > cutoff else local


class Traversal:
    """One query's beam search state over a ``FlatTree``: local, path and calibrated scores per
    explored node. Deterministic given the seed and the answers."""

    def __init__(
        self,
        tree: FlatTree,
        params: TraversalParams,
        excluded: list[bool] | None = None,
        seed: int = 0,
    ) -> None:
        self.t = tree
        self.p = params
        self.excluded = excluded or [False] * len(tree)
        self.rng = np.random.default_rng(seed)
        self.local: dict[int, float] = {0: 1.0}
        self.path: dict[int, float] = {0: 1.0}
        self.calibrated: dict[int, float] = {0: 1.0}
        self.expanded: set[int] = set()
        self.beam: list[int] = [0] if not tree.is_leaf(0) else []
        self.iterations = 0
        self.parse_failures = 0
        self.calib: Calibrator | None = None
        if params.calibrator != "none":
            self.calib = Calibrator(
                tau=params.tau,
                lambda_mse=lambda_for(params.calibrator),
                steps=params.calib_steps,
                seed=seed,
            )

    # ---------------------------------------------------------------- views
    def desc(self, i: int) -> str:
        """What the LLM is shown for node ``i``: "No Description." when it is excluded, so an
        excluded text never reaches a prompt."""
        return NO_DESCRIPTION if self.excluded[i] else self.t.nodes[i].desc

    def explored(self) -> list[int]:
        """Instantiated nodes (root and children of expanded nodes), in preorder."""
        return sorted(self.local)

    def scored_leaves(self) -> list[int]:
        """Leaves whose parent has been expanded, in preorder."""
        return [i for i in self.explored() if i != 0 and self.t.is_leaf(i)]

    def leaf_score(self, i: int) -> float:
        """Final score: (1-alpha)*path(parent) + alpha*calibrated(leaf)."""
        a = self.p.alpha
        return (1 - a) * self.path[self.t.parent[i]] + a * self.calibrated[i]

    def leaf_scores(self) -> dict[str, float]:
        """Doc id -> final score of every leaf reached so far; a leaf under an unexpanded node has
        none."""
        return {str(self.t.doc_id[i]): self.leaf_score(i) for i in self.scored_leaves()}

    def ranked_leaves(self) -> list[int]:
        """Reached leaves by final score, best first (preorder on ties): the rerank's candidates."""
        return sorted(self.scored_leaves(), key=self.leaf_score, reverse=True)

    # ---------------------------------------------------------------- one iteration
    def calibration_leaves(self) -> list[int]:
        """Up to C scored leaves, sampled through the GMM threshold when there are more."""
        c = self.p.calib_leaves
        pool = sorted(self.scored_leaves(), key=lambda i: self.calibrated[i], reverse=True)
        if len(pool) <= c:
            return pool
        vals = np.array([max(self.calibrated[i], -1.0) for i in pool])
        th = gmm_threshold(vals)
        pick = self.rng.choice(len(pool), size=c, replace=False, p=calibration_weights(vals, th))
        return [pool[j] for j in pick]

    def anchor(self, v: int) -> int | None:
        """The explored node at v's depth with the highest path relevance (first on ties)."""
        d = self.t.depth[v]
        same = [i for i in self.explored() if self.t.depth[i] == d]
        return max(same, key=lambda i: self.path[i]) if same else None

    def next_slates(self) -> list[Slate]:
        """One slate per beam node. With calibration on (``calib_leaves`` > 0) a leaf cluster also
        shows this iteration's shared calibration sample, a deeper internal node its anchor."""
        calib = self.calibration_leaves() if self.p.calib_leaves else []
        slates = []
        for v in self.beam:
            items = list(self.t.children[v])
            leaf = self.t.leaf_cluster(v)
            if self.p.calib_leaves:
                if leaf:
                    items += calib
                elif self.t.depth[v] > 0 and (a := self.anchor(v)) is not None:
                    items.append(a)
            slates.append(Slate(v, items, [self.desc(i) for i in items], leaf))
        return slates

    def update(self, slates: list[Slate], answers: list[Answer]) -> None:
        """Applies one iteration's answers: scores the children of answered slates, refits the
        calibrator on every slate so far and picks the next beam by path relevance. An unusable
        answer leaves its node unexpanded."""
        p = self.p
        for slate, ans in zip(slates, answers):
            if ans is None:
                self.parse_failures += 1
                continue
            obs: dict[int, float] = {}
            for k, s in ans.items():
                obs[slate.items[k]] = s
            if self.calib is not None:
                self.calib.add(obs)
            v = slate.node
            for u in self.t.children[v]:
                local = 0.0 if self.excluded[u] else obs.get(u, 0.0)
                self.local[u] = local
                self.path[u] = chain(local, self.path[v], p.alpha, p.cutoff)
                self.calibrated[u] = local
            self.expanded.add(v)
        if self.calib is not None and self.calib.slates:
            theta = self.calib.fit()
            for i in self.explored():
                if i != 0:
                    self.calibrated[i] = theta.get(i, 0.0)
        self.iterations += 1
        frontier = [i for i in self.explored() if i not in self.expanded and not self.t.is_leaf(i)]
        self.beam = sorted(frontier, key=lambda i: self.path[i], reverse=True)[: p.beam]

    def run(self, scorer: Callable[[list[Slate]], list[Answer]]) -> None:
        """Up to ``iterations`` rounds of one call per beam node; stops when nothing is left."""
        while self.iterations < self.p.iterations and self.beam:
            slates = self.next_slates()
            self.update(slates, scorer(slates))
