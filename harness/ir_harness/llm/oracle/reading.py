"""How the oracle understands a call: it reads the ``Ask`` the system attached, never the prompt.

Every LLM call a system makes carries an ``ir_harness.llm.ask.Ask`` beside its messages: the
query and candidate texts the prompt shows and the form of the answer the system's parser reads.
The oracle grades the candidates and ``write`` turns its ``Judgement`` into that form; a call
without an ask is refused (``OracleError``), never guessed at, so a reworded prompt is answered
the same and an unknown one fails loudly.

Candidates may be described groups of documents (a tree's internal nodes). The oracle grades
such a candidate by the best grade of the group's member documents, which a ``GroupSource``
registered by the system reads from its stored files (group ``harness.oracle_groups``, name ->
``module:attr`` of a ``GroupSource`` class or instance).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ir_harness.llm.base import LLMError
from ir_harness.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    import numpy as np

    from ir_harness.llm.ask import Answer

GROUP_SOURCES_GROUP = "harness.oracle_groups"


class OracleError(LLMError):
    """The call carries no ask, or its query is unknown to the task."""


@dataclass(frozen=True)
class Judgement:
    """What the oracle decided for a call, handed to ``write``.

    ``latent``: grade + noise per candidate, in prompt order. ``flipped``: the whole answer
    must be random (drawn from ``rng``). ``max_grade``: the qrels' top grade (for 0-100 scales).
    """

    latent: np.ndarray
    rng: np.random.Generator
    flipped: bool
    max_grade: float


@runtime_checkable
class GroupSource(Protocol):
    """Described groups of documents that a system shows in its prompts (tree nodes)."""

    def files(self, cache_dir: Path, corpus_hash: str) -> list[Path]:
        """The stored files holding this corpus's groups (read again when they change)."""
        ...

    def read(self, path: Path, corpus_ids: list[str]) -> Iterable[tuple[str, set[str]]]:
        """(description, member document ids) of every group in ``path``; raises ValueError,
        OSError or KeyError on a file it cannot read."""
        ...


GROUP_SOURCES: Registry[Any] = Registry("oracle group source", GROUP_SOURCES_GROUP)
_LOADED: dict[tuple[str, ...], list[GroupSource]] = {}
_LOCK = threading.Lock()


def registered_group_sources() -> list[GroupSource]:
    """Every registered group source, instantiated once per set of names (classes get no
    arguments)."""
    names = tuple(GROUP_SOURCES.names())
    with _LOCK:
        if names not in _LOADED:
            out: list[GroupSource] = []
            for n in names:
                obj = GROUP_SOURCES.get(n)
                src = obj() if isinstance(obj, type) else obj
                if isinstance(src, GroupSource):
                    out.append(src)
            _LOADED[names] = out
        return _LOADED[names]


def ranking(j: Judgement) -> tuple[list[int], list[int]]:
    """(candidate order best first, 0-100 score per candidate) from a judgement: by latent
    grade (ties keep prompt order) and ``100 * latent / max_grade`` clipped; random if flipped."""
    import numpy as np

    n = len(j.latent)
    if j.flipped:
        order = [int(i) for i in j.rng.permutation(n)]
        scores = [int(x) for x in j.rng.integers(0, 101, size=n)]
        return order, scores
    order = sorted(range(n), key=lambda i: (-j.latent[i], i))
    scores = [int(np.clip(np.rint(100 * x / j.max_grade), 0, 100)) for x in j.latent]
    return order, scores


def write(answer: Answer, j: Judgement) -> str:
    """The answer text in ``answer``'s form (see ``ir_harness.llm.ask.Answer``)."""
    import numpy as np

    if answer.form == "grade":
        lo, hi = answer.scale
        if j.flipped:
            return str(int(j.rng.integers(lo, hi + 1)))
        return str(int(np.clip(np.rint(j.latent[0]), lo, hi)))
    order, scores = ranking(j)
    top = order if answer.limit is None else order[: answer.limit]
    if answer.form == "order":
        items = (answer.item.replace("{n}", str(i + 1)).replace("{i}", str(i)) for i in top)
        return answer.sep.join(items)
    notes = dict(answer.notes)
    body: dict[str, Any] = {}
    for key in answer.keys:
        if key == "ranking":
            body[key] = top
        elif key == "relevance_scores":
            body[key] = [[i, scores[i]] for i in range(len(scores))]
        else:
            body[key] = notes.get(key, "")
    return json.dumps(body)
