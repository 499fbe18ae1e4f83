"""The LATTICE semantic tree: nodes, JSON storage and the flat index traversal works on.

A node record follows the authors' released trees: ``id``, ``desc`` (the text shown
to the search LLM) and ``child`` (empty for leaves). Leaf ids name corpus documents: a doc id,
possibly prefixed ``"[...] "``, or an integer row index into the corpus order (BRIGHT pickles).
Trees are stored as JSON together with the content hash of the corpus they index, so a tree is
never silently used against another corpus. Pickles are never read here (see ``convert.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError, DataFormatError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ir_harness.data.model import Corpus

FORMAT = "lattice-tree/1"
NO_DESCRIPTION = "No Description."


@dataclass
class Node:
    """One tree node in the authors' record shape: ``id`` (doc id or row index on leaves, path on
    built internal nodes), ``desc`` (what the search LLM sees) and ``child`` (empty on leaves)."""

    id: str | int | None = None
    desc: str = ""
    child: list[Node] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.child

    def leaves(self) -> list[Node]:
        """The leaves below, left to right (a leaf is its own); iterative, so depth cannot exhaust
        the stack."""
        out: list[Node] = []
        stack = [self]
        while stack:
            n = stack.pop()
            if n.is_leaf:
                out.append(n)
            else:
                stack.extend(reversed(n.child))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The nested record tree files store, in the authors' keys."""
        return {"id": self.id, "desc": self.desc, "child": [c.to_dict() for c in self.child]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Node:
        """The inverse of ``to_dict``, tolerating missing keys and null descriptions."""
        return cls(
            id=d.get("id"),
            desc=str(d.get("desc") or ""),
            child=[cls.from_dict(c) for c in (d.get("child") or [])],
        )


def leaf_doc_id(node_id: str | int | None, corpus_ids: list[str] | None = None) -> str:
    """The corpus doc id a leaf names: strips a ``"[...] "`` prefix; ints index the corpus order."""
    if isinstance(node_id, int) and not isinstance(node_id, bool):
        if corpus_ids is None:
            raise ConfigError("tree leaf has an integer id but no corpus order to resolve it")
        return corpus_ids[node_id]
    s = str(node_id)
    if s.startswith("["):
        return s.split("] ", 1)[-1].strip()
    return s


class TreeGroups:
    """The oracle's ``GroupSource`` for LATTICE trees: the internal nodes of this corpus's stored
    trees (``<cache>/lattice/trees/<corpus hash>-*.json``, as ``Lattice`` caches them), each with
    the corpus ids of the leaves below it."""

    def files(self, cache_dir: Path, corpus_hash: str) -> list[Path]:
        """This corpus's cached trees, matched by hash prefix as ``Lattice`` names them (none
        without a tree folder)."""
        d = cache_dir / "lattice" / "trees"
        return sorted(d.glob(f"{corpus_hash[:16]}-*.json")) if d.is_dir() else []

    def read(self, path: Path, corpus_ids: list[str]) -> Iterator[tuple[str, set[str]]]:
        """Every internal node of one tree file as (description, corpus ids of its leaves), so the
        oracle can grade a node by its members."""
        root = Node.from_dict(json.loads(path.read_text(encoding="utf-8"))["root"])
        stack = [root]
        while stack:
            n = stack.pop()
            if n.is_leaf:
                continue
            stack.extend(n.child)
            yield n.desc, {leaf_doc_id(x.id, corpus_ids) for x in n.leaves()}


def tree_stats(root: Node) -> dict[str, Any]:
    """Fan-out and depth statistics (the paper's branching factor is a gap: measure it)."""
    fanouts: list[int] = []
    depths: list[int] = []
    stack = [(root, 0)]
    while stack:
        n, d = stack.pop()
        if n.is_leaf:
            depths.append(d)
        else:
            fanouts.append(len(n.child))
            stack.extend((c, d + 1) for c in n.child)
    return {
        "leaves": len(depths),
        "internal": len(fanouts),
        "max_depth": max(depths, default=0),
        "mean_depth": round(sum(depths) / max(1, len(depths)), 3),
        "max_fanout": max(fanouts, default=0),
        "mean_fanout": round(sum(fanouts) / max(1, len(fanouts)), 3),
    }


@dataclass
class StoredTree:
    """A tree with the hash of the corpus it was built for and how it was built: what a
    ``lattice-tree/1`` JSON file holds."""

    root: Node
    corpus_hash: str = ""
    builder: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        """Writes the JSON (with stats) to a partial file and renames it, so a cached tree is never
        read half-written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "corpus_hash": self.corpus_hash,
            "builder": self.builder,
            "stats": tree_stats(self.root),
            "root": self.root.to_dict(),
        }
        tmp = path.with_suffix(path.suffix + ".partial")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StoredTree:
        """Reads a ``lattice-tree/1`` file; a pickle is refused with the command that converts it,
        anything else unreadable is a DataFormatError."""
        if path.suffix in (".pkl", ".pickle"):
            raise ConfigError(
                f"{path}: LATTICE trees are read as JSON only; convert a released pickle with "
                "`harness build-tree --from-pickle PATH --trust-pickle --out tree.json`"
            )
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataFormatError(
                path, 1, f"unreadable tree ({e})", f"a {FORMAT} JSON file"
            ) from None
        if not isinstance(d, dict) or d.get("format") != FORMAT or "root" not in d:
            raise DataFormatError(path, 1, "not a LATTICE tree", f'{{"format": "{FORMAT}", ...}}')
        return cls(
            root=Node.from_dict(d["root"]),
            corpus_hash=str(d.get("corpus_hash") or ""),
            builder=dict(d.get("builder") or {}),
        )

    def check_corpus(self, corpus: Corpus, source: str = "tree") -> None:
        """Refuse a tree built for another corpus; a hash-less (converted) tree must cover it."""
        if self.corpus_hash and self.corpus_hash != corpus.content_hash:
            raise ConfigError(
                f"{source} was built for corpus {self.corpus_hash[:12]}, this task's corpus is "
                f"{corpus.content_hash[:12]}; rebuild it with `harness build-tree`"
            )
        ids = corpus.ids()
        missing = [
            d for d in (leaf_doc_id(n.id, ids) for n in self.root.leaves()) if d not in corpus
        ]
        if missing:
            raise ConfigError(
                f"{source}: {len(missing)} leaves name documents not in the corpus, e.g. "
                f"{missing[:3]}"
            )


def params_key(params: dict[str, Any]) -> str:
    """A short stable hash of builder settings, whatever their key order: the cache file name's
    suffix, so changed settings build a new tree."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


class FlatTree:
    """Preorder arrays over a tree: what the traversal indexes (``registry`` in the reference)."""

    def __init__(self, root: Node, corpus_ids: list[str] | None = None) -> None:
        self.nodes: list[Node] = []
        self.parent: list[int] = []
        self.depth: list[int] = []
        self.children: list[list[int]] = []
        stack: list[tuple[Node, int, int]] = [(root, -1, 0)]
        while stack:
            node, par, dep = stack.pop()
            idx = len(self.nodes)
            self.nodes.append(node)
            self.parent.append(par)
            self.depth.append(dep)
            self.children.append([])
            if par >= 0:
                self.children[par].append(idx)
            stack.extend((c, idx, dep + 1) for c in reversed(node.child))
        self.doc_id: list[str | None] = [
            leaf_doc_id(n.id, corpus_ids) if n.is_leaf else None for n in self.nodes
        ]
        self.leaf_of: dict[str, int] = {d: i for i, d in enumerate(self.doc_id) if d is not None}

    def __len__(self) -> int:
        return len(self.nodes)

    def is_leaf(self, i: int) -> bool:
        """Whether node ``i`` has no children, by preorder index as the traversal holds nodes."""
        return not self.children[i]

    def leaf_cluster(self, i: int) -> bool:
        """All children are leaves: the slate gets the leaf prompt and calibration leaves."""
        return all(not self.children[c] for c in self.children[i])

    def excluded_mask(self, excluded: set[str]) -> list[bool]:
        """Excluded leaves, and internal nodes whose children are all excluded (nothing left to find there)."""
        mask = [False] * len(self.nodes)
        if not excluded:
            return mask
        for i in range(len(self.nodes) - 1, -1, -1):  # children come after parents in preorder
            kids = self.children[i]
            mask[i] = self.doc_id[i] in excluded if not kids else all(mask[c] for c in kids)
        return mask
