"""DeAR stage 2: the listwise reasoning reranker over stage 1's top 30 (systems-spec §3.2).

The prompt is RankGPT's multi-turn conversation with DeAR's system line and its three-step
reasoning suffix; the answer is read after any ``</think>`` and parsed with RankGPT's lenient
permutation parser. Windows come from RankGPT's back-to-front slider: depth 30, window 20,
step 10 gives [10, 30) then [0, 20), two calls per query. The released model is
``--llm hf:abdoelsayed/dear-8b-reranker-listwise-v1`` (merged LoRA); any ``--llm`` works, and
without one the harness default LLM runs (recorded as such in the result metadata).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from harness.data import ranked
from harness.errors import ConfigError
from harness.llm.handle import LLMHandle
from harness.llm.session import LLMSession
from systems.rankgpt import parse_permutation, passage_turns, windows

if TYPE_CHECKING:
    from harness.data import Corpus, Queries, Run
    from harness.llm.base import LLM, Message
    from harness.protocols import SystemMeta
    from harness.runtime import RunContext

RELEASED_LISTWISE = "abdoelsayed/dear-8b-reranker-listwise-v1"
SYSTEM = "You are RankLLM, an assistant that ranks passages by relevance to the query."


def build_messages(query: str, passages: list[str], max_words: int = 300) -> list[Message]:
    """DeAR's conversation: prefix, one user/assistant pair per passage, reasoning suffix."""
    n = len(passages)
    msgs: list[Message] = [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"I will provide you with {n} passages, each indicated by number "
            f"identifier [].\nRank the passages based on their relevance to query: {query}.",
        },
        {"role": "assistant", "content": "Okay, please provide the passages."},
    ]
    msgs.extend(passage_turns(passages, max_words))
    msgs.append(
        {
            "role": "user",
            "content": f"Search Query: {query}.\n"
            f"Rank the {n} passages above based on their relevance to the search query. "
            "The passages should be listed in descending order using identifiers.\n"
            "Please follow the steps below:\n"
            "Step 1. List the information requirements to answer the query.\n"
            "Step 2. For each requirement, find the passages containing that information.\n"
            "Step 3. Rank passages that best cover clear and diverse information. "
            "Include all passages.\n"
            "Output format strictly: [2] > [1] > [3] ... Only output the ranking using "
            "identifiers; no explanations.",
        }
    )
    return msgs


def after_think(text: str) -> str:
    """The answer part of a reasoning model's output: what follows ``</think>``, if present."""
    m = re.search(r"</think>\s*(.*)", text, flags=re.DOTALL | re.IGNORECASE)
    return m.group(1).strip() if m else text.strip()


class DeARListwise:
    """Listwise LLM reranker (Reranker protocol); only the top ``depth`` ranks move."""

    def __init__(
        self,
        llm: str | LLM | None = None,
        depth: int = 30,
        window: int = 20,
        step: int = 10,
        max_words: int = 300,
        temperature: float = 0.5,
        max_tokens: int = 1024,
    ) -> None:
        if window < 2 or step < 1 or depth < 1 or max_words < 1 or max_tokens < 1:
            raise ConfigError("dear-listwise: window >= 2, step >= 1, depth >= 1, max_words >= 1")
        if step >= window:
            raise ConfigError(
                f"dear-listwise: step ({step}) must be smaller than window ({window})"
            )
        self.handle = LLMHandle(llm)
        self.depth, self.window, self.step = depth, window, step
        self.max_words, self.temperature, self.max_tokens = max_words, temperature, max_tokens

    def meta(self) -> SystemMeta:
        return self.handle.system_meta(
            "dear-listwise",
            {
                "depth": self.depth,
                "window": self.window,
                "step": self.step,
                "max_words": self.max_words,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "released_checkpoint": RELEASED_LISTWISE,
            },
        )

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        llm = self.handle.get(ctx)
        per_query: dict[str, Any] = ctx.stats.setdefault("dear_listwise_per_query", {})
        out: Run = {}
        with LLMSession(llm, ctx) as session:
            for q in [q for q in candidates if q in queries]:
                order, info = self.rerank_one(queries[q], corpus, candidates[q], session)
                per_query[q] = info
                ctx.count("dear_listwise_windows", info["windows"])
                ctx.count("dear_listwise_repaired_windows", info["repaired"])
                out[q] = {d: float(len(order) - r) for r, d in enumerate(order)}
        return out

    def rerank_one(
        self, query: str, corpus: Corpus, cands: dict[str, float], session: LLMSession
    ) -> tuple[list[str], dict[str, Any]]:
        """One query's new order (all candidates; below ``depth`` unchanged) and its accounting."""
        order = [d for d, _ in ranked(cands)]
        info: dict[str, Any] = {"windows": 0, "repaired": 0, "calls": 0, "cache_hits": 0}
        t0 = time.perf_counter()
        for start, end in windows(min(self.depth, len(order)), self.window, self.step):
            ids = order[start:end]
            texts = [corpus[d].full_text if d in corpus else "" for d in ids]
            c = session.complete(
                build_messages(query, texts, self.max_words),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
            )
            perm, repaired = parse_permutation(after_think(c.text), len(ids))
            order[start:end] = [ids[i] for i in perm]
            info["windows"] += 1
            info["repaired"] += int(repaired)
            info["cache_hits" if c.cached else "calls"] += 1
        info["seconds"] = round(time.perf_counter() - t0, 3)
        return order, info
