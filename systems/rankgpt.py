"""RankGPT listwise reranking (Sun et al. 2023) with any ``--llm`` backend.

Conventions follow RankGPT / rank_llm (systems-spec §11): the top ``depth`` candidates are
reordered by a window of ``window`` passages sliding from the back with stride ``step`` (20/10/100:
9 calls per query), each passage truncated to ``max_words`` words and given as its own user turn,
and the answer ``[3] > [1] > ...`` parsed leniently (digits only, deduplicated, out-of-range
dropped, missing ones appended in their previous order), so a malformed answer never loses a
candidate. Calls, tokens and seconds per query go to ``ctx.stats["rankgpt_per_query"]``.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from harness.data import ranked
from harness.errors import ConfigError
from harness.llm.handle import LLMHandle
from harness.llm.session import LLMSession

if TYPE_CHECKING:
    from harness.data import Corpus, Queries, Run
    from harness.llm.base import LLM, Message
    from harness.protocols import SystemMeta
    from harness.runtime import RunContext

SYSTEM = (
    "You are RankGPT, an intelligent assistant that can rank passages based on their relevancy "
    "to the query."
)


def truncate_words(text: str, max_words: int) -> str:
    return " ".join(text.split()[:max_words])


def passage_turns(passages: list[str], max_words: int) -> list[Message]:
    """One user turn ``[i] text`` and one assistant acknowledgement per passage (RankGPT style)."""
    out: list[Message] = []
    for i, p in enumerate(passages, start=1):
        out.append({"role": "user", "content": f"[{i}] {truncate_words(p, max_words)}"})
        out.append({"role": "assistant", "content": f"Received passage [{i}]."})
    return out


def build_messages(query: str, passages: list[str], max_words: int = 300) -> list[Message]:
    """The RankGPT conversation: prefix, one user/assistant turn pair per passage, suffix."""
    n = len(passages)
    msgs: list[Message] = [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"I will provide you with {n} passages, each indicated by number "
            f"identifier []. \nRank the passages based on their relevance to query: {query}.",
        },
        {"role": "assistant", "content": "Okay, please provide the passages."},
    ]
    msgs.extend(passage_turns(passages, max_words))
    msgs.append(
        {
            "role": "user",
            "content": f"Search Query: {query}. \nRank the {n} passages above based on their "
            "relevance to the search query. The passages should be listed in descending order "
            "using identifiers. The most relevant passages should be listed first. The output "
            "format should be [] > [], e.g., [1] > [2]. Only response the ranking results, "
            "do not say any word or explain.",
        }
    )
    return msgs


def parse_permutation(text: str, n: int) -> tuple[list[int], bool]:
    """0-based order of ``n`` items from a model answer, and whether it needed repair.

    Every digit run counts as an identifier (RankGPT's ``clean_response``); duplicates and
    out-of-range ids are dropped, missing items are appended in their original order.
    """
    ids = [int(x) - 1 for x in re.findall(r"\d+", text)]
    seen: list[int] = []
    for i in ids:
        if 0 <= i < n and i not in seen:
            seen.append(i)
    clean = len(seen) == len(ids) == n
    return seen + [i for i in range(n) if i not in seen], not clean


def windows(depth: int, window: int, step: int) -> list[tuple[int, int]]:
    """[start, end) rank ranges, back to front, as RankGPT / rank_llm slide them.

    Stops after the first window that reaches rank 0, so depth 100 gives the usual 9 windows, a
    depth that is not a multiple of the step still has its top ranks seen, and depth <= window
    is a single call.
    """
    out: list[tuple[int, int]] = []
    end = depth
    while end > 0:
        start = max(end - window, 0)
        out.append((start, end))
        if start == 0:
            break
        end -= step
    return out


class RankGPT:
    """Listwise LLM reranker; implements the Reranker protocol."""

    def __init__(
        self,
        llm: str | LLM | None = None,
        window: int = 20,
        step: int = 10,
        depth: int = 100,
        max_words: int = 300,
        max_tokens: int | None = None,
    ) -> None:
        if window < 2 or step < 1 or depth < 1 or max_words < 1:
            raise ConfigError("rankgpt: window >= 2, step >= 1, depth >= 1, max_words >= 1")
        if step >= window:
            raise ConfigError(f"rankgpt: step ({step}) must be smaller than window ({window})")
        self.handle = LLMHandle(llm)
        self.window = window
        self.step = step
        self.depth = depth
        self.max_words = max_words
        self.max_tokens = max_tokens

    def meta(self) -> SystemMeta:
        return self.handle.system_meta(
            "rankgpt",
            {
                "window": self.window,
                "step": self.step,
                "depth": self.depth,
                "max_words": self.max_words,
                "max_tokens": self.max_tokens,
            },
        )

    # ---------------------------------------------------------------- reranking
    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        llm = self.handle.get(ctx)
        qids = [q for q in candidates if q in queries]
        per_query: dict[str, Any] = ctx.stats.setdefault("rankgpt_per_query", {})
        with LLMSession(llm, ctx) as session:
            workers = max(1, min(int(llm.max_concurrency), len(qids)))

            def one(q: str) -> tuple[str, list[str], dict[str, Any]]:
                order, info = self.rerank_one(queries[q], corpus, candidates[q], session)
                return q, order, info

            if workers == 1:
                results = [one(q) for q in qids]
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(one, qids))
        out: Run = {}
        for q, order, info in results:
            per_query[q] = info
            ctx.count("rankgpt_windows", info["windows"])
            ctx.count("rankgpt_repaired_windows", info["repaired"])
            n = len(order)
            out[q] = {d: float(n - r) for r, d in enumerate(order)}
        return out

    def rerank_one(
        self, query: str, corpus: Corpus, cands: dict[str, float], session: LLMSession
    ) -> tuple[list[str], dict[str, Any]]:
        """One query's new order, with its call accounting."""
        order = [d for d, _ in ranked(cands)]
        depth = min(self.depth, len(order))
        info: dict[str, Any] = {
            "windows": 0,
            "repaired": 0,
            "calls": 0,
            "cache_hits": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
        }
        t0 = time.perf_counter()
        for start, end in windows(depth, self.window, self.step):
            ids = order[start:end]
            texts = [corpus[d].full_text if d in corpus else "" for d in ids]
            c = session.complete(
                build_messages(query, texts, self.max_words),
                max_tokens=self.max_tokens or 7 * len(ids) + 10,
                temperature=0.0,
            )
            perm, repaired = parse_permutation(c.text, len(ids))
            order[start:end] = [ids[i] for i in perm]
            info["windows"] += 1
            info["repaired"] += int(repaired)
            info["cache_hits" if c.cached else "calls"] += 1
            if not c.cached:
                info["prompt_tokens"] += c.prompt_tokens
                info["completion_tokens"] += c.completion_tokens
        info["seconds"] = round(time.perf_counter() - t0, 3)
        return order, info
