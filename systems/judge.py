"""LLM relevance judge (system ``judge``): labels (query, passage) pairs 0-3 with any ``--llm``.

The prompt is the LLMJudge 2024 reference prompt (Thomas et al. 2023 style):
rater persona, the 0-3 scale, the "assume you are writing an answer" rules, the query, the
passage, "consider the underlying intent", "Score:". The answer's first standalone integer 0-3
is the grade; anything else counts in ``ctx.stats["judge_parse_failures"]`` and is graded 0, so
agreement numbers include the judge's failures instead of hiding them.

Two entry points: ``judge(queries, corpus, pairs, ctx)`` (the ``llmjudge`` task's
RelevanceJudge protocol) and ``judge_items(items, ctx)`` for ready-made
``(qid, query_text, docid, passage_text)`` tuples. As a pipeline stage it is also a pointwise
reranker: candidates sorted by grade, the previous order breaking ties.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ir_harness.data.model import ranked
from ir_harness.llm.ask import Answer, Ask
from ir_harness.llm.handle import LLMHandle
from ir_harness.llm.progress import LLMProgress
from ir_harness.llm.session import LLMSession

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.llm.base import LLM
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext

Pair = tuple[str, str]
Item = tuple[str, str, str, str]


# The LLMJudge 2024 reference prompt for grading a (query, passage) pair 0-3.
PROMPT = """You are a search quality rater evaluating the relevance of passages. Given a query and a passage, you must provide a score on an integer scale of 0 to 3 with the following meanings:

3 = Perfectly relevant: The passage is dedicated to the query and contains the exact answer.
2 = Highly relevant: The passage has some answer for the query, but the answer may be a bit unclear, or hidden amongst extraneous information.
1 = Related: The passage seems related to the query but does not answer it.
0 = Irrelevant: The passage has nothing to do with the query.

Assume that you are writing an answer to the query. If the passage seems to be related to the query but does not include any answer to the query, mark it 1. If you would use any of the information contained in the passage in such an answer, mark it 2. If the passage is primarily about the query, or contains vital information about the topic, mark it 3. Otherwise, mark it 0.

Query
A person has typed [{query}] into a search engine.

Result
Consider the following passage.
—BEGIN Passage CONTENT—
{passage}
—END Passage CONTENT—

Instructions
Consider the underlying intent of the search, and decide on a final score of the relevancy of query to the passage given the context. Answer with the score only.
Score:"""


_GRADE = re.compile(r"(?<![\d.])([0-3])(?![\d.]\d|\d)")
_SCORE_AFTER_LABEL = re.compile(r"score\s*[:=is]*\s*\**\s*([0-3])(?!\d)", re.I)


def parse_grade(text: str) -> int | None:
    """The grade in a model answer: "Score: 2" first, else the first standalone 0-3; else None."""
    m = _SCORE_AFTER_LABEL.search(text) or _GRADE.search(text)
    return int(m.group(1)) if m else None


def build_prompt(query: str, passage: str, max_words: int | None = None) -> str:
    """The reference prompt for one pair, the passage cut to ``max_words`` words (None or 0: whole);
    ``judge_ask`` cuts it the same way, so the oracle sees what the prompt shows."""
    if max_words:
        passage = " ".join(passage.split()[:max_words])
    return PROMPT.replace("{query}", query).replace("{passage}", passage)


GRADE = Answer("grade", scale=(0, 3))
DISCLOSURE = (
    "the noisy latent grade is rounded and clipped to 0-3 (the prompt's scale); a flipped "
    "answer is a uniform 0-3"
)


def judge_ask(query: str, passage: str, max_words: int | None = None) -> Ask:
    """What a ``build_prompt`` call asks, as data for the oracle: one passage (as the prompt
    shows it), answered with a 0-3 grade."""
    if max_words:
        passage = " ".join(passage.split()[:max_words])
    return Ask(
        system="judge",
        kind="judge",
        answer=GRADE,
        query=query,
        candidates=(passage,),
        disclosure=DISCLOSURE,
    )


class LLMJudge:
    """A 0-3 relevance judge; also a pointwise reranker."""

    def __init__(
        self, llm: str | LLM | None = None, max_words: int = 400, max_tokens: int = 16
    ) -> None:
        self.handle = LLMHandle(llm)
        self.max_words = max_words
        self.max_tokens = max_tokens

    def meta(self) -> SystemMeta:
        """The judge's SystemMeta: its prompt, passage and answer limits and the grade an unparsable
        answer gets, plus the LLM's identity."""
        return self.handle.system_meta(
            "judge",
            {
                "prompt": "llmjudge-2024-reference (Thomas et al. 2023 style), 0-3",
                "max_words": self.max_words,
                "max_tokens": self.max_tokens,
                "parse_failure_grade": 0,
            },
        )

    # ---------------------------------------------------------------- judging
    def judge_items(self, items: list[Item], ctx: RunContext) -> dict[Pair, int]:
        """Grades for ``(qid, query_text, docid, passage_text)`` items, keyed ``(qid, docid)``."""
        llm = self.handle.get(ctx)
        prompts: list[Any] = [build_prompt(qt, pt, self.max_words) for _, qt, _, pt in items]
        asks = [judge_ask(qt, pt, self.max_words) for _, qt, _, pt in items]
        with (
            LLMSession(llm, ctx) as session,
            LLMProgress("judge", ctx, len(items), len(items), unit="pairs", per_call=True) as pr,
        ):
            session.progress = pr
            outs = session.complete_many(
                prompts,
                asks=asks,
                max_tokens=self.max_tokens,
                temperature=0.0,
                accept=lambda t: parse_grade(t) is not None,  # unparsable: counted, not cached
            )
        grades: dict[Pair, int] = {}
        failures = 0
        for (q, _, d, _), c in zip(items, outs):
            g = parse_grade(c.text)
            if g is None:
                failures += 1
                g = 0
            grades[(q, d)] = g
        ctx.count("judge_pairs", len(items))
        ctx.count("judge_parse_failures", failures)
        return grades

    def judge(
        self, queries: Queries, corpus: Corpus, pairs: list[Pair], ctx: RunContext
    ) -> dict[Pair, int]:
        """The ``llmjudge`` task's RelevanceJudge protocol."""
        items = [(q, queries[q], d, corpus[d].full_text) for q, d in pairs]
        return self.judge_items(items, ctx)

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """Every candidate of each known query graded once and sorted by grade, ties kept in the
        previous order (a fraction below 1 is added to the grade); queries not in ``queries`` are
        dropped."""
        items: list[Item] = []
        orders: dict[str, list[str]] = {}
        for q, cands in candidates.items():
            if q not in queries:
                continue
            orders[q] = [d for d, _ in ranked(cands)]
            items += [(q, queries[q], d, corpus[d].full_text) for d in orders[q]]
        grades = self.judge_items(items, ctx)
        out: Run = {}
        for q, order in orders.items():
            n = len(order)
            out[q] = {d: grades[(q, d)] + (n - i) / (n + 1) for i, d in enumerate(order)}
        return out
