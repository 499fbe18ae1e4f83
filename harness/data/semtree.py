"""Semantic tree nodes as the LATTICE trees store them: ``id``, ``desc`` (the text shown to the
search LLM) and ``child`` (empty for leaves); a leaf id names a corpus document.

In the core because two sides read these trees: the ``lattice`` system builds and searches them,
and the oracle LLM indexes their node descriptions to answer the system's prompts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ir_harness.errors import ConfigError


@dataclass
class Node:
    id: str | int | None = None
    desc: str = ""
    child: list[Node] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.child

    def leaves(self) -> list[Node]:
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
        return {"id": self.id, "desc": self.desc, "child": [c.to_dict() for c in self.child]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Node:
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
