"""Converting the authors' released trees (HF ``quicktensor/lattice-bright-trees``, pickles).

Unpickling runs code chosen by the file's author, so it happens only when the caller passes
``trust=True`` (the CLI's ``--trust-pickle``). Even then the unpickler resolves only the tree's
own node class (mapped onto a plain stand-in), numpy's array reconstruction and plain builtins;
any other global in the file is refused. The result is written as our JSON tree format.
"""

from __future__ import annotations

import io
import pickle
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.systems.lattice.tree import Node, StoredTree

if TYPE_CHECKING:
    from pathlib import Path


class _PickledNode:
    """Stands in for the reference's ``SemanticNode``: accepts whatever state it had."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple):  # (dict, slots) form
            state = state[0] or {}
        self.__dict__.update(state or {})


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("collections", "OrderedDict"),
}


class _TreeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name == "SemanticNode":
            return _PickledNode
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a tree pickle")


MAX_DEPTH = 200  # far beyond any real tree (the paper's are < 10 deep); JSON must nest it


def _node_id(raw: Any, path: Path) -> str | int | None:
    if hasattr(raw, "item") and getattr(raw, "size", 1) == 1:  # numpy scalar / 1-element array
        raw = raw.item()
    if raw is None or (isinstance(raw, int | str) and not isinstance(raw, bool)):
        return raw
    raise ConfigError(
        f"{path}: a node id is a {type(raw).__name__} ({raw!r:.60}); expected an integer or a string"
    )


def _to_node(obj: Any, path: Path) -> Node:
    """Iterative, so depth cannot exhaust the stack; refuses cycles and absurd depth."""
    on_path: set[int] = set()
    root = Node()
    stack: list[tuple[Any, Node, int, bool]] = [(obj, root, 0, False)]
    while stack:
        src, node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(src))
            continue
        if id(src) in on_path:
            raise ConfigError(f"{path}: the tree has a cycle (a node is its own descendant)")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}: the tree is deeper than {MAX_DEPTH} levels")
        d = src if isinstance(src, dict) else getattr(src, "__dict__", None)
        if not isinstance(d, dict):
            raise ConfigError(f"{path}: a node is a {type(src).__name__}, not a tree node")
        kids = d.get("child") or []
        if not isinstance(kids, list | tuple):
            raise ConfigError(f"{path}: a node's children are a {type(kids).__name__}, not a list")
        node.id, node.desc = _node_id(d.get("id"), path), str(d.get("desc") or "")
        on_path.add(id(src))
        stack.append((src, node, depth, True))
        node.child = [Node() for _ in kids]
        stack.extend((k, n, depth + 1, False) for k, n in zip(reversed(kids), reversed(node.child)))
    return root


def load_pickled_tree(path: Path, *, trust: bool) -> Node:
    """The root of a released tree pickle, refused unless ``trust`` (unpickling can run code);
    even then only allow-listed globals load, and a cycle or absurd depth is a ConfigError."""
    if not trust:
        raise ConfigError(
            f"{path} is a pickle; loading one can run arbitrary code. Pass --trust-pickle only "
            "for files from a source you trust (e.g. the authors' released trees)"
        )
    data = path.read_bytes()
    try:
        obj = _TreeUnpickler(io.BytesIO(data)).load()
    except Exception as e:  # untrusted bytes: any failure means "not a tree pickle"
        raise ConfigError(f"{path}: not a LATTICE tree pickle ({type(e).__name__}: {e})") from e
    return _to_node(obj, path)


def convert_pickle(path: Path, *, trust: bool, corpus_hash: str = "") -> StoredTree:
    """A released pickle as a ``StoredTree`` recorded as ``released-pickle`` from ``path``. The
    pickle names no corpus, so the caller gives the hash; without one, ``check_corpus`` can only
    check that the leaves name corpus documents."""
    return StoredTree(
        root=load_pickled_tree(path, trust=trust),
        corpus_hash=corpus_hash,
        builder={"method": "released-pickle", "source": str(path)},
    )
