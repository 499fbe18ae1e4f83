"""Node descriptions for the tree builders: an LLM summariser and an extractive one.

``llm`` asks the configured LLM for a short description of each group from its members'
descriptions (and, for the top-down builder, for multi-level summaries of each document).
``extractive`` needs no model: the group's top TF-IDF keywords plus the first sentence of its
medoid member (the member closest on average to the others), so trees can be built in tests or
without an LLM. An unusable LLM answer falls back to the extractive description (counted).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ir_harness.llm.parse import extract_json
from ir_harness.systems.lattice import prompts
from ir_harness.systems.lattice.cluster import words

if TYPE_CHECKING:
    from ir_harness.llm.session import LLMSession
    from ir_harness.run.context import RunContext

_SENT = re.compile(r"(?<=[.!?])\s+")
_KW_TAIL = re.compile(r"\s*\(keywords: [^)]*\)\s*$")


def first_sentence(text: str, max_chars: int = 240) -> str:
    """A text's first sentence without its ``(keywords: ...)`` tail, cut at a word boundary to
    ``max_chars``: the readable part of an extractive description."""
    text = _KW_TAIL.sub("", re.sub(r"\s+", " ", text).strip())
    s = _SENT.split(text, maxsplit=1)[0] if text else ""
    return s if len(s) <= max_chars else s[:max_chars].rsplit(" ", 1)[0] + " ..."


class Summarizer(Protocol):
    """What the tree builders need from a describer, LLM or extractive."""

    name: str

    def summarize(self, groups: list[list[str]], vecs: list[np.ndarray]) -> list[str]:
        """One description per group, in order, from its members' descriptions; ``vecs[i]`` holds
        group i's member vectors, one row each."""
        ...

    def doc_levels(self, texts: list[str], levels: int) -> list[list[str]]:
        """``levels`` descriptions per text, broadest first (the top-down builder only)."""
        ...


class ExtractiveSummarizer:
    """Top keywords (tf in the group x idf in the corpus) + first sentence of the medoid."""

    name = "extractive"

    def __init__(self, corpus_texts: list[str], n_keywords: int = 8) -> None:
        self.n_keywords = n_keywords
        self.n_docs = max(1, len(corpus_texts))
        self.df: dict[str, int] = {}
        for t in corpus_texts:
            for w in set(words(t)):
                self.df[w] = self.df.get(w, 0) + 1

    def keywords(self, texts: list[str], k: int) -> list[str]:
        """The ``k`` best tf-idf words of ``texts`` (tf in them, idf over the corpus; ties
        alphabetical), skipping earlier keyword tails so keywords do not pile up towards the
        root."""
        tf: dict[str, int] = {}
        for t in texts:
            for w in words(_KW_TAIL.sub("", t)):
                tf[w] = tf.get(w, 0) + 1
        score = {
            w: (1 + math.log(c)) * math.log((self.n_docs + 1) / (self.df.get(w, 0) + 0.5))
            for w, c in tf.items()
        }
        return [w for w, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]

    def one(self, descs: list[str], vecs: np.ndarray | None) -> str:
        """One group's description: its medoid's first sentence (the first member's, without
        vectors) and its keywords; also what the LLM summariser falls back to."""
        medoid = 0
        if vecs is not None and len(descs) > 1:
            medoid = int(np.argmax((vecs @ vecs.T).mean(1)))
        kw = ", ".join(self.keywords(descs, self.n_keywords))
        return f"{first_sentence(descs[medoid])} (keywords: {kw})"

    def summarize(self, groups: list[list[str]], vecs: list[np.ndarray]) -> list[str]:
        """``one`` per group: deterministic and model-free."""
        return [self.one(g, v) for g, v in zip(groups, vecs)]

    def doc_levels(self, texts: list[str], levels: int) -> list[list[str]]:
        """Broad to specific: 3, 6, ... keywords, then first sentence + keywords."""
        out = []
        for t in texts:
            lv = [", ".join(self.keywords([t], 3 * (i + 1))) for i in range(levels - 1)]
            out.append([*lv, self.one([t], None)])
        return out


class LLMSummarizer:
    """Summaries from an LLM through an ``LLMSession`` (cached, counted in ``ctx.stats``)."""

    name = "llm"

    def __init__(
        self,
        session: LLMSession,
        fallback: ExtractiveSummarizer,
        ctx: RunContext,
        max_desc_chars: int = 600,
        max_tokens: int = 160,
    ) -> None:
        self.session = session
        self.fallback = fallback
        self.ctx = ctx
        self.max_desc_chars = max_desc_chars
        self.max_tokens = max_tokens

    def summarize(self, groups: list[list[str]], vecs: list[np.ndarray]) -> list[str]:
        """One cached LLM call per group at temperature 0; a blank answer falls back to the
        extractive description and counts in ``lattice_summary_fallbacks``."""
        outs = self.session.complete_many(
            [prompts.cluster_summary_prompt(g, self.max_desc_chars) for g in groups],
            asks=[prompts.cluster_summary_ask(g, self.max_desc_chars) for g in groups],
            max_tokens=self.max_tokens,
            temperature=0.0,
        )
        res = []
        for g, v, c in zip(groups, vecs, outs):
            text = re.sub(r"\s+", " ", c.text).strip()
            if not text:
                self.ctx.count("lattice_summary_fallbacks")
                text = self.fallback.one(g, v)
            res.append(text)
        return res

    def doc_levels(self, texts: list[str], levels: int) -> list[list[str]]:
        """Per-document levels from JSON answers; an answer without ``levels`` strings falls back
        to the extractive levels and counts in ``lattice_summary_fallbacks``."""
        outs = self.session.complete_many(
            [prompts.doc_levels_prompt(t, levels) for t in texts],
            asks=[prompts.doc_levels_ask(t, levels) for t in texts],
            max_tokens=60 * levels + 40,
            temperature=0.0,
            json_schema=prompts.doc_levels_schema(levels),
        )
        res = []
        for t, c in zip(texts, outs):
            got: Any = None
            try:
                got = prompts.find_key(extract_json(c.text), "summaries")
            except ValueError:
                pass
            if (
                isinstance(got, list)
                and len(got) >= levels
                and all(isinstance(s, str) for s in got)
            ):
                res.append([s.strip() for s in got[:levels]])
            else:
                self.ctx.count("lattice_summary_fallbacks")
                res.append(self.fallback.doc_levels([t], levels)[0])
        return res
