"""Recognising each system's prompt and writing the answer its own parser reads.

Each reader takes the chat messages exactly as a system's prompt builder wrote them and returns
a ``Case``: what is asked (``kind``), the query text and the candidate texts in prompt order.
The patterns come from the builders' own templates where they are constants (the judge prompt),
so a reworded template is caught by the prompt-matching tests rather than silently misread.

Kinds: ``judge`` (one passage, a 0-3 grade), ``listwise`` (RankGPT / DeAR ``[i] > [j]``),
``lattice`` (slate scores as JSON; ``leaf`` tells leaf from internal slates), ``lattice-rerank``
(ids of the top k), ``summary`` and ``levels`` (LATTICE tree building: no grades involved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ir_harness.llm.base import Message

_LISTWISE_HEAD = re.compile(
    r"^I will provide you with (?P<n>\d+) passages, each indicated by number identifier \[\]\."
    r"\s*\nRank the passages based on their relevance to query: (?P<q>.*)\.$",
    re.S,
)
_LISTWISE_PASSAGE = re.compile(r"^\[(?P<i>\d+)\] (?P<text>.*)$", re.S)
_CANDIDATE = re.compile(r"^\[(?P<i>\d+)\]\. (?P<text>.*)$")
_LATTICE_Q = re.compile(r"\n## QUERY\n\n(?P<q>.*?)\n\n## CANDIDATES \(id in brackets\)\n\n", re.S)
_LATTICE_LEAF_HEAD = "You are a search agent judging candidate passages."
_LATTICE_NODE_HEAD = "You are a search agent moving through a tree of topics"
_RERANK_Q = re.compile(r"^These passages were retrieved for the query: (?P<q>.*?)\n\n", re.S)
_RERANK_K = re.compile(r"Put the integer ids of the (?P<k>\d+) most relevant passages")
_SUMMARY_HEAD = "Below are the descriptions of the members of one group in a topic tree"
_LEVELS = re.compile(
    r"^Document:\n(?P<doc>.*)\n\nDescribe this document at (?P<n>\d+) levels of detail", re.S
)


@dataclass
class Case:
    kind: str
    query: str = ""
    passages: list[str] = field(default_factory=list)
    leaf: bool = False  # lattice: a slate of leaves (passages) rather than tree nodes
    topk: int = 0  # lattice-rerank: how many ids to return
    levels: int = 0  # levels: how many summaries
    reasoning: bool = True  # lattice: the answer must carry a "reasoning" string


def _judge_parts() -> tuple[str, str, str]:
    from ir_harness.llm.judge_prompt import PROMPT

    head, rest = PROMPT.split("{query}", 1)
    mid, tail = rest.split("{passage}", 1)
    return head, mid, tail


def _read_judge(text: str) -> Case | None:
    head, mid, tail = _judge_parts()
    if not (text.startswith(head) and text.endswith(tail) and mid in text):
        return None
    body = text[len(head) : len(text) - len(tail)]
    query, _, passage = body.partition(mid)
    return Case("judge", query, [passage])


def _read_listwise(msgs: list[Message]) -> Case | None:
    if len(msgs) < 4 or msgs[0]["role"] != "system":
        return None
    m = _LISTWISE_HEAD.match(msgs[1]["content"])
    if m is None:
        return None
    passages: dict[int, str] = {}
    for turn in msgs[2:]:
        if turn["role"] != "user":
            continue
        p = _LISTWISE_PASSAGE.match(turn["content"])
        if p is not None:
            passages[int(p.group("i"))] = p.group("text")
    n = int(m.group("n"))
    if sorted(passages) != list(range(1, n + 1)):
        return None
    return Case("listwise", m.group("q"), [passages[i] for i in range(1, n + 1)])


def _candidates(block: str) -> list[str]:
    out: list[str] = []
    for chunk in block.split("\n\n"):
        m = _CANDIDATE.match(chunk)
        if m is None:
            break
        if int(m.group("i")) != len(out):
            return []
        out.append(m.group("text"))
    return out


def _read_lattice(text: str) -> Case | None:
    leaf = text.startswith(_LATTICE_LEAF_HEAD)
    if not (leaf or text.startswith(_LATTICE_NODE_HEAD)):
        return None
    m = _LATTICE_Q.search(text)
    if m is None:
        return None
    descs = _candidates(text[m.end() :])
    keys = text[text.find("## ANSWER FORMAT") :]
    return Case("lattice", m.group("q"), descs, leaf=leaf, reasoning="`reasoning`" in keys)


def _read_rerank(text: str) -> Case | None:
    m, k = _RERANK_Q.match(text), _RERANK_K.search(text)
    if m is None or k is None:
        return None
    return Case(
        "lattice-rerank", m.group("q"), _candidates(text[m.end() :]), topk=int(k.group("k"))
    )


def read_case(messages: list[Message]) -> Case | None:
    """What the prompt asks, or None when no system of ours writes prompts like it."""
    if not messages:
        return None
    c = _read_listwise(messages)
    if c is not None:
        return c
    text = messages[-1]["content"]
    # the client's schema-in-prompt fallback appends this line; it is not part of the prompt
    text = re.sub(r"\n\nRespond only with JSON matching this schema: .*\Z", "", text, flags=re.S)
    for reader in (_read_judge, _read_lattice, _read_rerank):
        c = reader(text)
        if c is not None:
            return c
    if text.startswith(_SUMMARY_HEAD):
        block = text.split("\n\n", 1)[1] if "\n\n" in text else ""
        return Case("summary", passages=_candidates(block))
    if (m := _LEVELS.match(text)) is not None:
        return Case("levels", passages=[m.group("doc")], levels=int(m.group("n")))
    return None


def first_sentence(text: str, max_words: int = 30) -> str:
    s = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return " ".join(s.split()[:max_words])


def describe_answer(case: Case) -> Any:
    """Tree-building answers: descriptions made from the members' own first sentences."""
    if case.kind == "summary":
        return "; ".join(first_sentence(p) for p in case.passages[:3])
    words = " ".join(case.passages[0].split()).split(" ")
    sizes = [3 * (i + 1) for i in range(case.levels - 1)] + [40]
    return {"summaries": [" ".join(words[:s]) for s in sizes]}
