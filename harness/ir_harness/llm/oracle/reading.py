"""How the oracle understands a prompt: it asks the prompt readers that systems register.

The oracle core knows no system's wording. A system that sends prompts registers a *prompt
reader* next to its prompt builder (entry-point group ``harness.prompt_readers``, name ->
``module:attr`` of a ``PromptReader`` class or instance). Given the chat messages, a reader
returns a ``Question`` (a query and candidate texts to grade, and how to write the answer its
system's parser reads), a ``Reply`` (a prompt answered without grades, e.g. tree building), or
None when the prompt is not its system's. Exactly one reader may claim a prompt; two claims are
an error naming both, so a reworded prompt cannot be silently misread by another system's reader.

A reader may also expose ``groups``: a ``GroupSource`` that knows described groups of documents
(a tree's internal nodes) which its prompts show as candidates; the oracle grades such a
candidate by the best grade of the group's member documents.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ir_harness.llm.base import LLMError
from ir_harness.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import numpy as np

    from ir_harness.llm.base import Message

READER_GROUP = "harness.prompt_readers"
Lookup = Literal["passage", "group"]


class OracleError(LLMError):
    """The prompt is not one of a registered system's, or its query is unknown to the task."""


@dataclass(frozen=True)
class Judgement:
    """What the oracle decided for a question, handed to the reader's answer writer.

    ``latent``: grade + noise per candidate, in prompt order. ``flipped``: the whole answer
    must be random (drawn from ``rng``). ``max_grade``: the qrels' top grade (for 0-100 scales).
    """

    latent: np.ndarray
    rng: np.random.Generator
    flipped: bool
    max_grade: float


@dataclass(frozen=True)
class Question:
    """A prompt that asks for grades of candidates against a query.

    ``kind`` names the question in the oracle's answer counts; ``lookup`` says where candidate
    texts are found, in order of preference (``passage``: the corpus, ``group``: the groups of
    the readers' group sources), so a group description that begins like a passage is not
    mistaken for it; ``write`` turns the oracle's judgement into the answer text.
    """

    kind: str
    query: str
    passages: list[str]
    write: Callable[[Judgement], str]
    lookup: tuple[Lookup, ...] = ("passage",)


@dataclass(frozen=True)
class Reply:
    """A prompt the reader answers itself, without grades (e.g. describing documents)."""

    kind: str
    text: str


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


@runtime_checkable
class PromptReader(Protocol):
    """Reads one system's prompts. It may also carry ``disclosure`` (a sentence the oracle's
    result metadata repeats: what the oracle sees or does for these prompts beyond grading the
    candidate texts, e.g. clipping) and ``groups`` (a ``GroupSource``)."""

    def read(self, messages: list[Message]) -> Question | Reply | None: ...


@dataclass
class Readers:
    """The registered readers, loaded once; ``read`` finds the one that claims a prompt."""

    readers: dict[str, PromptReader] = field(default_factory=dict)

    @property
    def group_sources(self) -> list[GroupSource]:
        out = []
        for r in self.readers.values():
            g = getattr(r, "groups", None)
            if isinstance(g, GroupSource):
                out.append(g)
        return out

    def disclosure(self, name: str) -> str:
        return str(getattr(self.readers.get(name), "disclosure", "") or "")

    def read(self, messages: list[Message]) -> tuple[str, Question | Reply] | None:
        """(reader name, what the prompt asks), or None when no reader claims it."""
        if not messages:
            return None
        msgs = strip_schema_line(messages)
        found: list[tuple[str, Question | Reply]] = []
        for name, r in self.readers.items():
            got = r.read(msgs)
            if got is not None:
                found.append((name, got))
        if len(found) > 1:
            names = ", ".join(n for n, _ in found)
            raise OracleError(f"oracle: prompt readers {names} all claim one prompt")
        return found[0] if found else None


READERS: Registry[Any] = Registry("prompt reader", READER_GROUP)
_LOADED: dict[tuple[str, ...], Readers] = {}
_LOCK = threading.Lock()


def registered_readers() -> Readers:
    """Every registered reader, instantiated once per set of names (classes get no arguments)."""
    names = tuple(READERS.names())
    with _LOCK:
        if names not in _LOADED:
            out: dict[str, PromptReader] = {}
            for n in names:
                obj = READERS.get(n)
                out[n] = obj() if isinstance(obj, type) else obj
            _LOADED[names] = Readers(out)
        return _LOADED[names]


_SCHEMA_LINE = re.compile(r"\n\nRespond only with JSON matching this schema: .*\Z", re.S)


def strip_schema_line(messages: list[Message]) -> list[Message]:
    """The messages without the line the LLM client appends to the last one when a backend
    cannot enforce a JSON schema (it is the client's, not the system's prompt)."""
    last = messages[-1]
    text = _SCHEMA_LINE.sub("", last["content"])
    if text == last["content"]:
        return messages
    return [*messages[:-1], {**last, "content": text}]  # type: ignore[list-item]


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
