"""What an LLM call asks, as data beside its prompt text: the query, the candidates shown and the
form of the answer the system's parser reads.

A system attaches an ``Ask`` to each call (``LLMSession.complete(..., ask=...)``). Real models
ignore it; the oracle LLM answers from it, so no prompt is ever parsed back and a reworded prompt
is answered the same. It is plain data so it also travels to an oracle served over HTTP. It never
enters a cache key: cached answers stay keyed by the messages, the settings and the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

Lookup = Literal["passage", "group"]
Form = Literal["order", "grade", "json", "text"]
FORMS: tuple[Form, ...] = ("order", "grade", "json", "text")
LOOKUPS: tuple[Lookup, ...] = ("passage", "group")


@dataclass(frozen=True)
class Answer:
    """How the answer is written from the candidates' grades.

    ``order``: candidate ids best first, each written as ``item`` with ``{n}`` the 1-based and
    ``{i}`` the 0-based id, joined by ``sep``, the first ``limit`` only. ``grade``: one integer,
    the first candidate's grade rounded and clipped to ``scale``. ``json``: an object with
    ``keys`` in order, ``ranking`` the 0-based ids best first (first ``limit``),
    ``relevance_scores`` ``[id, 0-100]`` per candidate, any other key its text in ``notes``.
    ``text``: ``text`` itself, with no grades (prompts that describe documents).
    """

    form: Form
    item: str = "{n}"
    sep: str = " > "
    limit: int | None = None
    scale: tuple[int, int] = (0, 3)
    keys: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Ask:
    """One call's request: ``system`` and ``kind`` name it (answer counts, errors); ``query``
    and ``candidates`` are the texts the prompt shows; ``lookup`` says where candidate texts are
    found, in order of preference (``passage``: the corpus, ``group``: described groups of
    documents such as tree nodes); ``disclosure`` is a sentence an oracle's result metadata
    repeats (what it does for these calls beyond grading the candidates)."""

    system: str
    kind: str
    answer: Answer
    query: str = ""
    candidates: tuple[str, ...] = ()
    lookup: tuple[Lookup, ...] = ("passage",)
    disclosure: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (for an oracle served over HTTP); ``from_json`` reads it back."""
        a = self.answer
        return {
            "system": self.system,
            "kind": self.kind,
            "query": self.query,
            "candidates": list(self.candidates),
            "lookup": list(self.lookup),
            "disclosure": self.disclosure,
            "answer": {
                "form": a.form,
                "item": a.item,
                "sep": a.sep,
                "limit": a.limit,
                "scale": list(a.scale),
                "keys": list(a.keys),
                "notes": [list(n) for n in a.notes],
                "text": a.text,
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> Ask:
        """An ``Ask`` from ``to_json``'s form; ValueError names the bad field (input from the
        network is not trusted)."""
        d = _obj(data, "ask")
        a = _obj(d.get("answer"), "ask.answer")
        form = _text(a.get("form"), "ask.answer.form")
        if form not in FORMS:
            raise ValueError(f"ask.answer.form: expected one of {', '.join(FORMS)}, got {form!r}")
        lookup = _texts(d.get("lookup", ["passage"]), "ask.lookup")
        if not lookup or any(x not in LOOKUPS for x in lookup):
            raise ValueError(f"ask.lookup: expected names from {', '.join(LOOKUPS)}")
        limit = a.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise ValueError("ask.answer.limit: expected an integer or null")
        scale = a.get("scale", [0, 3])
        if not (
            isinstance(scale, list)
            and len(scale) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in scale)
            and scale[0] <= scale[1]
        ):
            raise ValueError("ask.answer.scale: expected [low, high] integers, low <= high")
        notes = a.get("notes", [])
        if not isinstance(notes, list) or not all(
            isinstance(n, list) and len(n) == 2 and all(isinstance(x, str) for x in n)
            for n in notes
        ):
            raise ValueError("ask.answer.notes: expected [key, text] pairs of strings")
        answer = Answer(
            form=cast("Form", form),
            item=_text(a.get("item", "{n}"), "ask.answer.item"),
            sep=_text(a.get("sep", " > "), "ask.answer.sep"),
            limit=limit,
            scale=(scale[0], scale[1]),
            keys=tuple(_texts(a.get("keys", []), "ask.answer.keys")),
            notes=tuple((n[0], n[1]) for n in notes),
            text=_text(a.get("text", ""), "ask.answer.text"),
        )
        return cls(
            system=_text(d.get("system"), "ask.system"),
            kind=_text(d.get("kind"), "ask.kind"),
            answer=answer,
            query=_text(d.get("query", ""), "ask.query"),
            candidates=tuple(_texts(d.get("candidates", []), "ask.candidates")),
            lookup=tuple(cast("list[Lookup]", lookup)),
            disclosure=_text(d.get("disclosure", ""), "ask.disclosure"),
        )


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string")
    return value


def _texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"{where}: expected a list of strings")
    return value
