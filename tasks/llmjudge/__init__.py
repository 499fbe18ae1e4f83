"""LLMJudge (SIGIR 2024 LLM4Eval challenge): how well a relevance judge agrees with human labels.

A judge labels (query, passage) pairs 0-3. ``llmjudge`` scores a judge's labels on the 4,423 test
pairs (``llmjudge/dev``: the 7,263 dev pairs) against the human labels, as the organisers'
scorer does (llm4eval/LLMJudge-benchmark):

* ``cohen_kappa`` on the 4-point scale (main), and kappa after each binarisation
  ``kappa_0|123``, ``kappa_01|23``, ``kappa_012|3``;
* ``krippendorff_alpha``: the *ordinal* alpha over the value domain 0-3 (the variant that
  reproduces the published 0.4918 / 0.4958; nominal gives 0.284, interval 0.500);
* grades outside 0-3 are clipped into 0-3, as the organisers' scorer does (two team files hold
  5s and 10s): clipping is what reproduces every published value (Rahmani et al. 2025, arXiv
  2502.13908, Tables 3 and 4: RMITIR-llama70B kappa 0.2654; on the labels as submitted it is
  0.26546). Nothing is changed silently: ``extra`` holds the count and lines of out-of-range
  labels, ``cohen_kappa_as_submitted`` (kappa with out-of-range grades as their own
  categories), and a warning; ``HARNESS_LLMJUDGE_STRICT=1`` rejects them with the line number;
* test pairs missing from the file count as 0 for kappa (the organisers' merge makes them fail
  every threshold) and as missing for alpha; how many were missing is reported in ``extra``
  with a warning; a file that labels none of the pairs is an error (its scores would mean
  nothing).
* system-ranking agreement: each run of a run set is scored with nDCG@10 under the human qrels
  and under the judge's qrels (both restricted to the LLMJudge pairs), and ``kendall_tau`` /
  ``spearman_rho`` compare the two orderings. The TREC DL 2023 participant runs are not
  available offline, so the published tau/rho cannot be reproduced here. The run set is an
  explicit input, never whatever happens to sit in a results folder: a built-in set of ten
  deterministic runs of the ``lexical`` system over the test pool (cached under ``$HARNESS_CACHE_DIR/llmjudge``),
  plus the TREC run files of a run-set folder given with ``harness eval --run-set DIR`` (or
  ``HARNESS_LLMJUDGE_RUN_SET=DIR`` for ``harness run``), e.g. ``results/llmjudge-pool``.
  ``extra["run_set"]`` describes it and ``extra["run_set_files"]`` lists every run by name with
  the sha256 of its TREC text. ``HARNESS_LLMJUDGE_RANKING=0`` skips this part.

The ``HARNESS_LLMJUDGE_*`` variables are read by the command line only; in Python the same
settings are ``RunConfig(task_settings={"llmjudge": {"ranking": "0", "run_set": DIR,
"strict": "1"}})`` or ``evaluate_file(..., settings={...})``.

``llmjudge-pool`` is the retrieval task over the same data: rank the 4,414 test passages for the
25 test queries, human qrels, TREC DL conventions (graded nDCG@10, relevance >= 2 for binary
metrics). Runs stored for it join the ranking run set.

Modules: ``labels`` (label-file I/O), ``agreement`` (kappa, alpha), ``data`` (files, online
download, loading), ``runset`` (system-ranking agreement and its run set), ``scoring`` (a label
file or a judge's labels against the human labels), ``tasks`` (the two task plugins).
"""

from __future__ import annotations

from ir_harness.tasks.llmjudge.agreement import (
    AGREEMENT_METRICS,
    THRESHOLDS,
    agreement,
    cohen_kappa,
    kappa_as_submitted,
    krippendorff_alpha_ordinal,
)
from ir_harness.tasks.llmjudge.data import (
    FOLDER,
    LABELS,
    ONLINE_BASE,
    ONLINE_FILES,
    PASSAGES,
    QUERIES,
    fetch_online,
    human_labels,
    load_pool,
    pool_spec,
)
from ir_harness.tasks.llmjudge.labels import (
    GRADES,
    Labels,
    Pair,
    labels_to_qrels,
    load_judge_qrels,
    read_labels,
)
from ir_harness.tasks.llmjudge.runset import (
    BUILTIN_RUNS,
    BUILTIN_VERSION,
    RANKING_METRIC,
    RANKING_METRICS,
    RUN_FILE_SUFFIXES,
    RUN_SET_ENV,
    builtin_run_set,
    cached_builtin_run_set,
    offline_run_set,
    ranking_agreement,
    read_run_set,
    run_fingerprints,
)
from ir_harness.tasks.llmjudge.scoring import score_label_file, score_labels, score_submissions
from ir_harness.tasks.llmjudge.tasks import LLMJudgePoolTask, LLMJudgeTask, RelevanceJudge

__all__ = [
    "AGREEMENT_METRICS",
    "BUILTIN_RUNS",
    "BUILTIN_VERSION",
    "FOLDER",
    "GRADES",
    "LABELS",
    "ONLINE_BASE",
    "ONLINE_FILES",
    "PASSAGES",
    "QUERIES",
    "RANKING_METRIC",
    "RANKING_METRICS",
    "RUN_FILE_SUFFIXES",
    "RUN_SET_ENV",
    "THRESHOLDS",
    "LLMJudgePoolTask",
    "LLMJudgeTask",
    "Labels",
    "Pair",
    "RelevanceJudge",
    "agreement",
    "builtin_run_set",
    "cached_builtin_run_set",
    "cohen_kappa",
    "fetch_online",
    "human_labels",
    "kappa_as_submitted",
    "krippendorff_alpha_ordinal",
    "labels_to_qrels",
    "load_judge_qrels",
    "load_pool",
    "offline_run_set",
    "pool_spec",
    "ranking_agreement",
    "read_labels",
    "read_run_set",
    "run_fingerprints",
    "score_label_file",
    "score_labels",
    "score_submissions",
]
