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

from harness.errors import ConfigError
from systems.lattice.tree import Node, StoredTree

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


def _to_node(obj: Any) -> Node:
    d = obj if isinstance(obj, dict) else getattr(obj, "__dict__", {})
    kids = d.get("child") or []
    raw_id: Any = d.get("id")
    if hasattr(raw_id, "item"):  # numpy integer
        raw_id = raw_id.item()
    return Node(id=raw_id, desc=str(d.get("desc") or ""), child=[_to_node(c) for c in kids])


def load_pickled_tree(path: Path, *, trust: bool) -> Node:
    if not trust:
        raise ConfigError(
            f"{path} is a pickle; loading one can run arbitrary code. Pass --trust-pickle only "
            "for files from a source you trust (e.g. the authors' released trees)"
        )
    data = path.read_bytes()
    try:
        obj = _TreeUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError) as e:
        raise ConfigError(f"{path}: not a LATTICE tree pickle ({e})") from e
    return _to_node(obj)


def convert_pickle(path: Path, *, trust: bool, corpus_hash: str = "") -> StoredTree:
    return StoredTree(
        root=load_pickled_tree(path, trust=trust),
        corpus_hash=corpus_hash,
        builder={"method": "released-pickle", "source": str(path)},
    )
