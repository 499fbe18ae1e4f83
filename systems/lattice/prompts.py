"""Prompts, JSON schemas and answer parsing for LATTICE (our wording of the authors' prompts).

The traversal prompt casts the LLM as a search agent in a semantic tree, gives a per-subset
relevance definition, the query (newlines flattened) and the candidates as ``[i]. text`` (newlines
collapsed), asks for: the essential problem, per-candidate reasoning, a ranking, a 0-100 score per
candidate; the answer is JSON ``reasoning`` / ``ranking`` / ``relevance_scores`` (``[id, score]``
pairs). The leaf variant adds that a passage counts only if it answers substantively on its own.
The authors append a random "prompt id" as a cache-busting watermark; ours is derived from the
query, node and iteration, so identical runs hit the response cache (a documented deviation).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from ir_harness.llm.ask import Answer, Ask, Lookup
from ir_harness.llm.parse import extract_json

STACKEXCHANGE = (
    "A document is relevant when it could be cited in an accepted or highly voted answer that "
    "works through the query using the key concepts or theories it needs."
)
_THEOREM = "A document is relevant when it uses the same or a similar theorem as the query."
RELEVANCE = {
    "leetcode": "A document is relevant when it solves a coding problem that needs the same "
    "algorithm and/or data structure as the query's problem.",
    "pony": "A document is relevant when it is syntax documentation that the query's coding "
    "problem needs.",
    "theoremqa_questions": _THEOREM,
    "theoremqa_theorems": _THEOREM,
    "aops": _THEOREM,
    "web": "A passage is relevant when it contains information that answers the query.",
}


def flatten(text: str, max_chars: int | None = None) -> str:
    """Text on one line (runs of newlines become one space), cut at ``max_chars`` first, so a
    query or candidate cannot break the prompt's layout."""
    text = text[:max_chars] if max_chars else text
    return re.sub(r"\s*\n+\s*", " ", text).strip()


def candidates_block(descs: list[str], max_chars: int | None = None) -> str:
    """Candidates as ``[i]. text`` blocks numbered from 0: the ids ``parse_scores`` and
    ``parse_ranking`` read back are these slate positions."""
    return "".join(f"[{i}]. {flatten(d, max_chars)}\n\n" for i, d in enumerate(descs))


def prompt_id(*parts: object) -> int:
    """A deterministic stand-in for the authors' random prompt id, derived from ``parts`` (query,
    node, iteration), so identical runs hit the response cache."""
    h = hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()
    return int(h[:12], 16) % 10_000_000


_STEPS = """## WHAT TO DO
1. Work out the core problem behind the query.
2. For each candidate, reason about why it is or is not relevant under the definition above{r}.
3. Order the candidates from most to least relevant and give that order in `ranking`.
4. Give every candidate a relevance score between 0 and 100 in `relevance_scores`.{leaf_rule}

## ANSWER FORMAT
Answer with one JSON object only, with the keys {keys}.
{reasoning_line}* `ranking`: an array of integer candidate ids.
* `relevance_scores`: an array of [candidate_id, score] pairs, e.g. [[0, 80], [1, 15]].

(Request tag {pid}; it carries no meaning.)
"""

_LEAF_RULE = (
    "\n   Judge each passage by itself: a high score needs a direct answer or an essential part "
    "of it in the passage's own text. Bare titles, headings, tables of contents or passages that "
    "only describe other content get low scores."
)


def traversal_prompt(
    query: str,
    descs: list[str],
    *,
    leaf: bool,
    definition: str,
    pid: int,
    reasoning: bool = True,
    max_desc_chars: int | None = None,
) -> str:
    """One slate's prompt; ``leaf`` switches to the passage-judging wording and its stricter rule
    that a passage must answer on its own. Candidate ids are slate positions."""
    if leaf:
        head = (
            "You are a search agent judging candidate passages. Find the passages most likely "
            "to answer the user's query, using this notion of relevance."
        )
        definition = (
            f"{definition} A passage counts only if its own text gives real, specific "
            "information towards the answer; naming the topic is not enough."
        )
    else:
        head = (
            "You are a search agent moving through a tree of topics, where each candidate "
            "stands for a group of documents. Pick the groups most likely to contain the answer "
            "to the user's query, using this notion of relevance."
        )
    keys = (
        "`reasoning`, `ranking` and `relevance_scores`"
        if reasoning
        else "`ranking` and `relevance_scores`"
    )
    steps = _STEPS.format(
        r=" (write this in `reasoning`)" if reasoning else "",
        leaf_rule=_LEAF_RULE if leaf else "",
        keys=keys,
        reasoning_line="* `reasoning`: a string.\n" if reasoning else "",
        pid=pid,
    )
    return (
        f"{head}\n\nRelevance: {definition}\n\n## QUERY\n\n{flatten(query)}\n\n"
        f"## CANDIDATES (id in brackets)\n\n{candidates_block(descs, max_desc_chars)}{steps}"
    )


def traversal_schema(reasoning: bool = True) -> dict[str, Any]:
    """The JSON schema of a traversal answer: a ``ranking`` and ``[id, score]`` pairs, with
    ``reasoning`` first when asked for, so a constrained decoder writes it before the scores."""
    props: dict[str, Any] = {
        "ranking": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
        "relevance_scores": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
            },
            "minItems": 1,
        },
    }
    if reasoning:
        props = {"reasoning": {"type": "string"}, **props}
    return {"type": "object", "properties": props, "required": list(props)}


def find_key(obj: Any, key: str) -> Any:
    """First value under ``key`` anywhere in a parsed JSON value (answers nest it sometimes)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            found = find_key(v, key)
            if found is not None:
                return found
    return None


def parse_scores(text: str, n: int) -> dict[int, float]:
    """Slate position -> score in [0, 1]; raises ValueError when no score can be read.

    Accepts ``[[id, score], ...]`` (the schema), ``{"id": score}`` and, from weak models, a flat
    list of ``n`` numbers taken positionally. Out-of-range ids are dropped, scores clipped to
    0..100 (the calibrator needs [0, 1]); a later duplicate id overwrites an earlier one;
    ids that are exactly 1..n are taken as one-based.
    """
    raw = find_key(extract_json(text), "relevance_scores")
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        if len(raw) == n and all(isinstance(x, int | float) for x in raw):
            pairs = list(enumerate(raw))
        else:
            pairs = [tuple(x[:2]) for x in raw if isinstance(x, list | tuple) and len(x) >= 2]  # type: ignore[misc]
    parsed: list[tuple[int, float]] = []
    for k, v in pairs:
        try:
            parsed.append((int(k), float(v)))
        except (TypeError, ValueError):
            continue
    # Small models (Qwen2.5 0.5B here) number candidates 1..n although the prompt shows 0..n-1;
    # ids that are exactly 1..n are read as one-based rather than losing candidate 0.
    if n > 1 and sorted(i for i, _ in parsed) == list(range(1, n + 1)):
        parsed = [(i - 1, s) for i, s in parsed]
    out: dict[int, float] = {}
    for i, s in parsed:
        if 0 <= i < n and s == s:
            out[i] = min(max(s, 0.0), 100.0) / 100.0
    if not out:
        raise ValueError(f"no relevance scores in answer: {text[:200]!r}")
    return out


def rerank_prompt(query: str, descs: list[str], topk: int, max_desc_chars: int | None) -> str:
    """The optional final listwise rerank (BRIGHT-style): ask for the ids of the top ``topk``."""
    return (
        f"These passages were retrieved for the query: {flatten(query)}\n\n"
        f"{candidates_block(descs, max_desc_chars)}"
        "1. Work out the core problem behind the query.\n"
        "2. Reason step by step about why each passage is or is not relevant; write this in "
        "`reasoning`.\n"
        "3. Order the passages by relevance to the query.\n"
        f"4. Put the integer ids of the {topk} most relevant passages, best first, in `ranking`.\n\n"
        'Answer with one JSON object with the keys "reasoning" (a string) and "ranking" (a list '
        f"of {topk} integers)."
    )


def rerank_schema() -> dict[str, Any]:
    """The JSON schema of the final rerank answer: reasoning, then ranked ids; how many ids is
    asked in the prompt, not enforced here (``parse_ranking`` keeps what is usable)."""
    return {
        "type": "object",
        "properties": {
            "reasoning": {"type": "string"},
            "ranking": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["reasoning", "ranking"],
    }


def parse_ranking(text: str, n: int) -> list[int]:
    """Distinct in-range ids in answer order (an empty list when nothing parses)."""
    try:
        raw = find_key(extract_json(text), "ranking")
    except ValueError:
        return []
    out: list[int] = []
    for x in raw if isinstance(raw, list) else []:
        try:
            i = int(x)
        except (TypeError, ValueError):
            continue
        if 0 <= i < n and i not in out:
            out.append(i)
    return out


# ---------------------------------------------------------------- tree-building prompts


def cluster_summary_prompt(descs: list[str], max_desc_chars: int = 600) -> str:
    """Asks for a plain-text description (at most three sentences) of one group from its
    members' descriptions, worded so the search LLM can tell whether an answer lies inside."""
    return (
        "Below are the descriptions of the members of one group in a topic tree over a document "
        "collection.\n\n"
        f"{candidates_block(descs, max_desc_chars)}"
        "Write a short description (at most three sentences) of what this group covers: the "
        "shared subject, and the specific sub-topics, entities or questions its members address, "
        "so a reader can tell whether the answer to a question is likely inside. Answer with the "
        "description only."
    )


def doc_levels_prompt(text: str, levels: int, max_chars: int = 2000) -> str:
    """Asks for ``levels`` descriptions of one document, broadest first: the per-depth texts the
    top-down builder clusters on."""
    return (
        f"Document:\n{flatten(text, max_chars)}\n\n"
        f"Describe this document at {levels} levels of detail, from the broadest topic (a few "
        "words) to a specific one-sentence summary of what it says. Answer with a JSON object "
        f'{{"summaries": [...]}} holding exactly {levels} strings, broadest first.'
    )


def doc_levels_schema(levels: int) -> dict[str, Any]:
    """Constrains the answer to exactly ``levels`` summary strings; the summariser still checks
    the answer and falls back to extractive levels."""
    return {
        "type": "object",
        "properties": {
            "summaries": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": levels,
                "maxItems": levels,
            }
        },
        "required": ["summaries"],
    }


# ---------------------------------------------------------------- asks (what the oracle reads)

DISCLOSURE = (
    "an internal node is graded with the best qrels grade among its member documents, read from "
    "the stored tree files, not from its summary text; slate scores are 100 * latent / top qrels "
    "grade, rounded and clipped to 0-100; tree-building prompts are answered with the members' "
    "first sentences (no grades)"
)


def _ask(kind: str, answer: Answer, query: str = "", descs: tuple[str, ...] = (), **kw: Any) -> Ask:
    return Ask("lattice", kind, answer, query, descs, disclosure=DISCLOSURE, **kw)


def traversal_ask(
    query: str,
    descs: list[str],
    *,
    leaf: bool,
    reasoning: bool = True,
    max_desc_chars: int | None = None,
) -> Ask:
    """What a ``traversal_prompt`` asks: its query and candidates as shown (internal slates show
    tree nodes: groups first), answered with the JSON scores ``parse_scores`` reads."""
    keys = (
        ("reasoning", "ranking", "relevance_scores")
        if reasoning
        else ("ranking", "relevance_scores")
    )
    answer = Answer("json", keys=keys, notes=(("reasoning", "oracle: grades read from the qrels"),))
    shown = tuple(flatten(d, max_desc_chars) for d in descs)
    lookup: tuple[Lookup, ...] = ("passage", "group") if leaf else ("group", "passage")
    return _ask("lattice", answer, flatten(query), shown, lookup=lookup)


def rerank_ask(query: str, descs: list[str], topk: int, max_desc_chars: int | None) -> Ask:
    """What a ``rerank_prompt`` asks: the ids of the top ``topk`` passages."""
    answer = Answer(
        "json", keys=("reasoning", "ranking"), limit=topk, notes=(("reasoning", "oracle"),)
    )
    shown = tuple(flatten(d, max_desc_chars) for d in descs)
    return _ask("lattice-rerank", answer, flatten(query), shown)


def _first_sentence(text: str, max_words: int = 30) -> str:
    s = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return " ".join(s.split()[:max_words])


def cluster_summary_ask(descs: list[str], max_desc_chars: int = 600) -> Ask:
    """What a ``cluster_summary_prompt`` asks, answered without grades: the first sentences of
    the first three members as shown."""
    shown = [flatten(d, max_desc_chars) for d in descs[:3]]
    return _ask("summary", Answer("text", text="; ".join(_first_sentence(p) for p in shown)))


def doc_levels_ask(text: str, levels: int, max_chars: int = 2000) -> Ask:
    """What a ``doc_levels_prompt`` asks, answered without grades: growing prefixes of the
    document as shown."""
    words = " ".join(flatten(text, max_chars).split()).split(" ")
    sizes = [3 * (i + 1) for i in range(levels - 1)] + [40]
    reply = json.dumps({"summaries": [" ".join(words[:s]) for s in sizes]})
    return _ask("levels", Answer("text", text=reply))
