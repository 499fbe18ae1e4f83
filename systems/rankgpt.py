"""RankGPT listwise reranking (Sun et al. 2023) with any ``--llm`` backend.

Conventions follow RankGPT and rank_llm, which published results rely on: the top ``depth`` candidates are
reordered by a window of ``window`` passages sliding from the back with stride ``step`` (20/10/100:
9 calls per query), each passage truncated to ``max_words`` words and given as its own user turn,
and the answer ``[3] > [1] > ...`` parsed leniently (digits only, deduplicated, out-of-range
dropped, missing ones appended in their previous order), so a malformed answer never loses a
candidate. Calls, tokens and seconds per query go to ``ctx.stats["rankgpt_per_query"]``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from ir_harness.data.model import ranked
from ir_harness.errors import ConfigError
from ir_harness.llm.ask import Answer, Ask
from ir_harness.llm.handle import LLMHandle
from ir_harness.llm.progress import LLMProgress
from ir_harness.llm.session import LLMSession

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.llm.base import LLM, Message
    from ir_harness.protocols import StatTag, SystemMeta
    from ir_harness.run.context import RunContext

SYSTEM = (
    "You are RankGPT, an intelligent assistant that can rank passages based on their relevancy "
    "to the query."
)


def truncate_words(text: str, max_words: int) -> str:
    """The first ``max_words`` words, joined by single spaces: the passage as both the prompt and
    the oracle's ask show it."""
    return " ".join(text.split()[:max_words])


def passage_turns(passages: list[str], max_words: int) -> list[Message]:
    """One user turn ``[i] text`` and one assistant acknowledgement per passage (RankGPT style)."""
    out: list[Message] = []
    for i, p in enumerate(passages, start=1):
        out.append({"role": "user", "content": f"[{i}] {truncate_words(p, max_words)}"})
        out.append({"role": "assistant", "content": f"Received passage [{i}]."})
    return out


def conversation(
    system: str, query: str, passages: list[str], max_words: int, suffix: str, sep: str = " "
) -> list[Message]:
    """The RankGPT-style conversation: system line, prefix, one user/assistant turn pair per
    passage, then ``suffix`` as the last user turn (``sep`` is the prefix's spacing, which
    differs by one space between RankGPT's and DeAR's released prompts)."""
    n = len(passages)
    msgs: list[Message] = [
        {"role": "system", "content": system},
        {
            "role": "user",
            "content": f"I will provide you with {n} passages, each indicated by number "
            f"identifier [].{sep}\nRank the passages based on their relevance to query: {query}.",
        },
        {"role": "assistant", "content": "Okay, please provide the passages."},
    ]
    msgs.extend(passage_turns(passages, max_words))
    msgs.append({"role": "user", "content": suffix})
    return msgs


def build_messages(query: str, passages: list[str], max_words: int = 300) -> list[Message]:
    """RankGPT's conversation with its standard suffix."""
    suffix = (
        f"Search Query: {query}. \nRank the {len(passages)} passages above based on their "
        "relevance to the search query. The passages should be listed in descending order "
        "using identifiers. The most relevant passages should be listed first. The output "
        "format should be [] > [], e.g., [1] > [2]. Only response the ranking results, "
        "do not say any word or explain."
    )
    return conversation(SYSTEM, query, passages, max_words, suffix)


PERMUTATION = Answer("order", item="[{n}]", sep=" > ")


def listwise_ask(system: str, query: str, passages: list[str], max_words: int) -> Ask:
    """What a ``conversation`` asks, as data for the oracle: the query, the passages as the
    turns show them (truncated), and an answer ``[i] > [j] > ...``."""
    shown = tuple(truncate_words(p, max_words) for p in passages)
    return Ask(system=system, kind="listwise", answer=PERMUTATION, query=query, candidates=shown)


def parse_permutation(text: str, n: int) -> tuple[list[int], bool]:
    """0-based order of ``n`` items from a model answer, and whether it needed repair.

    Every digit run counts as an identifier (RankGPT's ``clean_response``); duplicates and
    out-of-range ids are dropped, missing items are appended in their original order.
    """
    ids = [int(x) - 1 for x in re.findall(r"\d+", text)]
    seen = valid_ids(text, n)
    clean = len(seen) == len(ids) == n
    return seen + [i for i in range(n) if i not in seen], not clean


def valid_ids(text: str, n: int) -> list[int]:
    """The answer's in-range identifiers (0-based), first mention only; empty: no usable answer."""
    seen: list[int] = []
    for x in re.findall(r"\d+", text):
        i = int(x) - 1
        if 0 <= i < n and i not in seen:
            seen.append(i)
    return seen


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


class SlidingWindowReranker:
    """The listwise loop shared by RankGPT and DeAR's listwise stage: windows slide from the
    back of the top ``depth``, each call reorders its window in place, and every query's calls,
    tokens and seconds go to ``ctx.stats[f"{stats_prefix}_per_query"]``. Subclasses give the
    conversation (``messages``), the answer extraction (``answer``) and the token budget; every
    call carries ``ask`` (what it asks, as data for the oracle).

    Window outcomes, so a stage that moves nothing does not look like success:
    ``{prefix}_repaired_windows`` (the answer did not list every passage exactly once),
    ``{prefix}_windows_unchanged`` (a usable answer that keeps the input order) and
    ``{prefix}_windows_unusable`` (no in-range identifier at all: nothing to apply). A window
    can be both repaired and unchanged (``[1] > [2]``); unchanged and unusable never overlap."""

    name = "listwise"

    def __init__(
        self,
        llm: str | LLM | None,
        window: int,
        step: int,
        depth: int,
        max_words: int,
        max_tokens: int | None,
        temperature: float,
    ) -> None:
        if window < 2 or step < 1 or depth < 1 or max_words < 1:
            raise ConfigError(f"{self.name}: window >= 2, step >= 1, depth >= 1, max_words >= 1")
        if max_tokens is not None and max_tokens < 1:
            raise ConfigError(f"{self.name}: max_tokens >= 1")
        if step >= window:
            raise ConfigError(f"{self.name}: step ({step}) must be smaller than window ({window})")
        self.handle = LLMHandle(llm)
        self.window, self.step, self.depth = window, step, depth
        self.max_words, self.max_tokens, self.temperature = max_words, max_tokens, temperature

    @property
    def stats_prefix(self) -> str:
        return self.name.replace("-", "_")

    def stat_tags(self) -> dict[str, StatTag]:
        """The window counters' kinds (``DeclaresStats``): the site shows them per stage."""
        from ir_harness.protocols import StatTag

        p = self.stats_prefix
        return {
            f"{p}_windows": StatTag(kind="windows", stage=p),
            f"{p}_repaired_windows": StatTag(kind="windows_repaired", stage=p),
            f"{p}_windows_unchanged": StatTag(kind="windows_unchanged", stage=p),
            f"{p}_windows_unusable": StatTag(kind="windows_unusable", stage=p),
        }

    def meta(self) -> SystemMeta:
        """SystemMeta with the window geometry and token limit (and a subclass's ``extra_meta``),
        plus the LLM's identity."""
        return self.handle.system_meta(
            self.name,
            {
                "window": self.window,
                "step": self.step,
                "depth": self.depth,
                "max_words": self.max_words,
                "max_tokens": self.max_tokens,
                **self.extra_meta(),
            },
        )

    def extra_meta(self) -> dict[str, Any]:
        """Parameters a subclass records beyond the window's."""
        return {}

    def messages(self, query: str, passages: list[str]) -> list[Message]:
        """The conversation for one window's passages in their current order; each subclass gives
        its own prompt."""
        raise NotImplementedError

    def ask(self, query: str, passages: list[str]) -> Ask:
        """What one window's call asks: its query, its passages as shown, a permutation."""
        return listwise_ask(self.name, query, passages, self.max_words)

    def answer(self, text: str) -> str:
        """The part of the model's output that holds the permutation."""
        return text

    def call_max_tokens(self, n: int) -> int:
        """The answer budget for a window of ``n`` passages: ``max_tokens`` when set, else room for
        ``n`` identifiers ``[i] >`` (7 tokens each) plus 10."""
        return self.max_tokens or 7 * n + 10

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """Each known query's top ``depth`` reordered window by window, queries in parallel up to
        the backend's concurrency; scores are ``n - rank``, ranks below ``depth`` keep their order,
        and window counters go to ``ctx.stats``."""
        llm = self.handle.get(ctx)
        qids = [q for q in candidates if q in queries]
        per_query: dict[str, Any] = ctx.stats.setdefault(f"{self.stats_prefix}_per_query", {})
        budget = sum(
            len(windows(min(self.depth, len(candidates[q])), self.window, self.step)) for q in qids
        )
        with (
            LLMSession(llm, ctx) as session,
            LLMProgress(self.name, ctx, len(qids), budget) as progress,
        ):
            session.progress = progress

            def one(q: str) -> tuple[list[str], dict[str, Any]]:
                out = self.rerank_one(queries[q], corpus, candidates[q], session)
                progress.done()
                return out

            results = session.map(one, qids)
        out: Run = {}
        for q, (order, info) in zip(qids, results):
            per_query[q] = info
            ctx.count(f"{self.stats_prefix}_windows", info["windows"])
            ctx.count(f"{self.stats_prefix}_repaired_windows", info["repaired"])
            ctx.count(f"{self.stats_prefix}_windows_unchanged", info["unchanged"])
            ctx.count(f"{self.stats_prefix}_windows_unusable", info["unusable"])
            n = len(order)
            out[q] = {d: float(n - r) for r, d in enumerate(order)}
        return out

    def _usable(self, n: int) -> Callable[[str], bool]:
        """An answer is usable (and cacheable) when it is a clean permutation of ``n`` items."""
        return lambda text: not parse_permutation(self.answer(text), n)[1]

    def rerank_one(
        self, query: str, corpus: Corpus, cands: dict[str, float], session: LLMSession
    ) -> tuple[list[str], dict[str, Any]]:
        """One query's new order (below ``depth`` unchanged), with its call accounting."""
        order = [d for d, _ in ranked(cands)]
        info: dict[str, Any] = {
            "windows": 0,
            "repaired": 0,
            "unchanged": 0,
            "unusable": 0,
            "calls": 0,
            "cache_hits": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
        }
        t0 = time.perf_counter()
        for start, end in windows(min(self.depth, len(order)), self.window, self.step):
            ids = order[start:end]
            texts = [corpus[d].full_text if d in corpus else "" for d in ids]
            c = session.complete(
                self.messages(query, texts),
                ask=self.ask(query, texts),
                max_tokens=self.call_max_tokens(len(ids)),
                temperature=self.temperature,
                # an answer that needed repair counts as failed and is not cached
                accept=self._usable(len(ids)),
            )
            answer = self.answer(c.text)
            perm, repaired = parse_permutation(answer, len(ids))
            order[start:end] = [ids[i] for i in perm]
            info["windows"] += 1
            info["repaired"] += int(repaired)
            if not valid_ids(answer, len(ids)):
                info["unusable"] += 1  # no identifier in range: the window stays as it was
            elif perm == list(range(len(ids))):
                info["unchanged"] += 1  # a usable answer that keeps the input order
            info["cache_hits" if c.cached else "calls"] += 1
            if not c.cached:
                info["prompt_tokens"] += c.prompt_tokens
                info["completion_tokens"] += c.completion_tokens
        info["seconds"] = round(time.perf_counter() - t0, 3)
        return order, info


class RankGPT(SlidingWindowReranker):
    """Listwise LLM reranker; implements the Reranker protocol."""

    name = "rankgpt"

    def __init__(
        self,
        llm: str | LLM | None = None,
        window: int = 20,
        step: int = 10,
        depth: int = 100,
        max_words: int = 300,
        max_tokens: int | None = None,
    ) -> None:
        super().__init__(llm, window, step, depth, max_words, max_tokens, temperature=0.0)

    def messages(self, query: str, passages: list[str]) -> list[Message]:
        """RankGPT's released conversation, each passage truncated to ``max_words`` words."""
        return build_messages(query, passages, self.max_words)
