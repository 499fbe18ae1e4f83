"""DeAR stage 2: the listwise reasoning reranker over stage 1's top 30.

The prompt is RankGPT's multi-turn conversation with DeAR's system line and its three-step
reasoning suffix; the answer is read after any ``</think>`` and parsed with RankGPT's lenient
permutation parser. Windows come from RankGPT's back-to-front slider: depth 30, window 20,
step 10 gives [10, 30) then [0, 20), two calls per query. The released model is
``--llm hf:abdoelsayed/dear-8b-reranker-listwise-v1`` (merged LoRA); any ``--llm`` works, and
without one the harness default LLM runs (recorded as such in the result metadata).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ir_harness.systems.rankgpt import SlidingWindowReranker, conversation

if TYPE_CHECKING:
    from ir_harness.llm.base import LLM, Message

RELEASED_LISTWISE = "abdoelsayed/dear-8b-reranker-listwise-v1"
SYSTEM = "You are RankLLM, an assistant that ranks passages by relevance to the query."


def build_messages(query: str, passages: list[str], max_words: int = 300) -> list[Message]:
    """DeAR's conversation: RankGPT's turns with DeAR's system line and reasoning suffix."""
    suffix = (
        f"Search Query: {query}.\n"
        f"Rank the {len(passages)} passages above based on their relevance to the search query. "
        "The passages should be listed in descending order using identifiers.\n"
        "Please follow the steps below:\n"
        "Step 1. List the information requirements to answer the query.\n"
        "Step 2. For each requirement, find the passages containing that information.\n"
        "Step 3. Rank passages that best cover clear and diverse information. "
        "Include all passages.\n"
        "Output format strictly: [2] > [1] > [3] ... Only output the ranking using "
        "identifiers; no explanations."
    )
    return conversation(SYSTEM, query, passages, max_words, suffix, sep="")


def after_think(text: str) -> str:
    """The answer part of a reasoning model's output: what follows ``</think>``, if present."""
    m = re.search(r"</think>\s*(.*)", text, flags=re.DOTALL | re.IGNORECASE)
    return m.group(1).strip() if m else text.strip()


class DeARListwise(SlidingWindowReranker):
    """Listwise LLM reranker (Reranker protocol); only the top ``depth`` ranks move."""

    name = "dear-listwise"

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
        super().__init__(llm, window, step, depth, max_words, max_tokens, temperature)

    def extra_meta(self) -> dict[str, Any]:
        """Sampling temperature and the released checkpoint the defaults reproduce."""
        return {"temperature": self.temperature, "released_checkpoint": RELEASED_LISTWISE}

    def messages(self, query: str, passages: list[str]) -> list[Message]:
        """One window's prompt: DeAR's system line and three-step reasoning suffix."""
        return build_messages(query, passages, self.max_words)

    def answer(self, text: str) -> str:
        """Drops the reasoning before ``</think>``, so its bracketed ids never reach the parser."""
        return after_think(text)
