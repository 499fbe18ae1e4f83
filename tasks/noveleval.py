"""NovelEval-2306 (RankGPT): 21 questions about post-GPT-4 events x 20 web passages, graded 0-2.

Its official home is the RankGPT GitHub repository; the online loader fetches those files into
the cache. nDCG@10 main (RankGPT reports nDCG@1/5/10).
"""

from __future__ import annotations

from typing import ClassVar

from ir_harness.task_kinds import FilesRankingTask


class NovelEvalTask(FilesRankingTask):
    """NovelEval-2306 as RankGPT released it: questions about post-GPT-4 events, so an LLM
    reranker cannot answer them from what it memorised; files from the RankGPT repository."""

    family: ClassVar[str] = "noveleval"
    description: ClassVar[str] = "NovelEval-2306 (RankGPT): 21 queries x 20 passages, graded 0-2"
    folder: ClassVar[str] = "noveleval"
    online: ClassVar[str | None] = (
        "https://raw.githubusercontent.com/sunnweiwei/RankGPT/main/NovelEval"
    )
    online_note: ClassVar[str] = "GitHub raw files"
    metrics: ClassVar[tuple[str, ...]] = ("ndcg@1", "ndcg@5", "ndcg@10", "map")
    main_metric: ClassVar[str] = "ndcg@10"
    run_depth: ClassVar[int] = 100
