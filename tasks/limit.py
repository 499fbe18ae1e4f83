"""LIMIT (google-deepmind/limit): "Who likes X?" queries with exactly 2 relevant people each.

* ``limit-small``: 46 documents, 1,000 queries. HF ``orionweller/LIMIT-small``.
* ``limit``: the full set, 50,000 documents (the 46 relevant people plus distractors), 1,000
  queries that are *not* those of limit-small. HF ``orionweller/LIMIT``. Only the queries and
  qrels exist offline: the corpus is distributed on Hugging Face alone.

Main score recall@2, as MTEB labels it (``LIMITSmallRetrieval`` / ``LIMITRetrieval``
``main_score``); the paper's headline for full LIMIT is recall@100, reported beside it with
recall@10. Both HF datasets are MTEB format (configs ``corpus``, ``queries``, ``default`` for
qrels); locally ``<data>/<name>/{corpus,queries,qrels}.jsonl``. Both are ``HubRankingTask``
declarations: the spec's sources and the loader come from the same attributes.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from ir_harness.data.hub import task_data_from_rows
from ir_harness.task_kinds import HubRankingTask

HF_ID = "orionweller/LIMIT-small"
HF_ID_FULL = "orionweller/LIMIT"
# The online path's row reader, under the name the tests know it by.
from_mteb_rows = task_data_from_rows


class _LimitScoring(HubRankingTask):
    """What both LIMIT sets share: the scoring (MTEB's main score first) and the run depth."""

    metrics: ClassVar[tuple[str, ...]] = ("recall@2", "recall@10", "recall@100", "ndcg@10")
    main_metric: ClassVar[str] = "recall@2"
    average_over: ClassVar[Literal["qrels", "intersection"]] = "intersection"
    run_depth: ClassVar[int] = 100


class LimitSmallTask(_LimitScoring):
    """LIMIT-small: the 46 relevant people alone as the corpus, 1,000 queries; the data MTEB's
    ``LIMITSmallRetrieval`` scores (``mteb/LIMITSmallRetrieval`` runs this task)."""

    family: ClassVar[str] = "limit-small"
    description: ClassVar[str] = (
        "LIMIT-small: 46 docs, 1000 queries x 2 relevant; recall@2 main (MTEB), recall@100 (paper)"
    )
    folder: ClassVar[str] = "limit-small"
    online: ClassVar[str | None] = HF_ID


class LimitTask(_LimitScoring):
    """Full LIMIT: the same scoring as limit-small over a 50k-document corpus."""

    family: ClassVar[str] = "limit"
    description: ClassVar[str] = (
        "LIMIT full: 50k docs, 1000 queries x 2 relevant; recall@2 main (MTEB), recall@100 "
        "(paper headline); corpus on HF only"
    )
    folder: ClassVar[str] = "limit"
    marker_file: ClassVar[str] = "corpus.jsonl"
    local_note: ClassVar[str] = "with limit/queries.jsonl and limit/qrels.jsonl"
    online: ClassVar[str | None] = HF_ID_FULL
    online_hint: ClassVar[str] = (
        "(LIMIT's 50,000-document corpus is distributed only there; no offline copy exists, "
        "shared data has its queries and qrels only: put corpus.jsonl beside them in "
        "<data>/limit/ to run offline)"
    )
