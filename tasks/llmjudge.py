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
  deterministic lexical runs over the test pool (cached under ``$HARNESS_CACHE_DIR/llmjudge``),
  plus the TREC run files of a run-set folder given with ``harness eval --run-set DIR`` (or
  ``HARNESS_LLMJUDGE_RUN_SET=DIR`` for ``harness run``), e.g. ``results/llmjudge-pool``.
  ``extra["run_set"]`` describes it and ``extra["run_set_files"]`` lists every run by name with
  the sha256 of its TREC text. ``HARNESS_LLMJUDGE_RANKING=0`` skips this part.

``llmjudge-pool`` is the retrieval task over the same data: rank the 4,414 test passages for the
25 test queries, human qrels, TREC DL conventions (graded nDCG@10, relevance >= 2 for binary
metrics). Runs stored for it join the ranking run set.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from harness.data import TaskData
from harness.errors import ConfigError, DataFormatError
from harness.io import (
    read_jsonl_corpus,
    read_judge_qrels,
    read_trec_qrels,
    read_tsv_queries,
    split_fields,
    text_lines,
)
from harness.measures import measure
from harness.protocols import RelevanceJudge
from harness.runtime import default_cache_dir
from harness.spec import DataSourceSpec, TaskSpec
from harness.task import fetch_files, load_local_or_online

if TYPE_CHECKING:
    from harness.data import Corpus, Qrels, Queries, Run
    from harness.pipeline import Pipeline
    from harness.runtime import RunContext
    from harness.task import CustomResult

FOLDER = "llmjudge"
QUERIES = "llm4eval_query_2024.txt"
PASSAGES = "llmjudge_test_passages.jsonl"
LABELS = {"": "llmjudge_test_qrel_idx.txt", "dev": "llm4eval_dev_qrel_2024.txt"}
# Official home: the challenge's repository; remote file name -> our local name.
ONLINE_BASE = "https://raw.githubusercontent.com/llm4eval/LLMJudge/main/data"
ONLINE_FILES = {
    QUERIES: QUERIES,
    "llm4eval_document_2024.jsonl": PASSAGES,
    LABELS[""]: LABELS[""],
    LABELS["dev"]: LABELS["dev"],
}
GRADES = 4
THRESHOLDS = {"kappa_0|123": 1, "kappa_01|23": 2, "kappa_012|3": 3}
AGREEMENT_METRICS = ("cohen_kappa", *THRESHOLDS, "krippendorff_alpha")
RANKING_METRICS = ("kendall_tau", "spearman_rho")
RANKING_METRIC = "ndcg@10"
Pair = tuple[str, str]
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- label files


@dataclass
class Labels:
    """A judge's labels: pair -> grade in 0-3, with what had to be repaired on reading."""

    grades: dict[Pair, int]
    clipped_lines: list[int] = field(default_factory=list)
    # the grades as submitted for the clipped pairs, so kappa on the raw labels can be reported
    out_of_range: dict[Pair, int] = field(default_factory=dict)


def read_labels(path: str | Path, pairs: set[Pair] | None = None, strict: bool = False) -> Labels:
    """``qidx 0 pidx grade`` per line (the challenge's format), with line-precise errors.

    ``pairs``: the allowed (query, passage) pairs; a label for any other pair is an error.
    Grades outside 0-3 are clipped (the organisers' convention) unless ``strict``.
    """
    out = Labels({})
    for n, line in text_lines(path):
        qid, _, pid, g = split_fields(
            path, n, line, 4, "label", "4 fields: query-id 0 passage-id grade"
        )
        try:
            grade = int(g)
        except ValueError:
            raise DataFormatError(
                path, n, f"grade {g!r} is not an integer", "0, 1, 2 or 3"
            ) from None
        if not 0 <= grade < GRADES:
            if strict:
                raise DataFormatError(path, n, f"grade {grade} is outside 0-3", "0, 1, 2 or 3")
            out.clipped_lines.append(n)
            out.out_of_range[(qid, pid)] = grade
            grade = min(max(grade, 0), GRADES - 1)
        if pairs is not None and (qid, pid) not in pairs:
            raise DataFormatError(
                path,
                n,
                f"pair ({qid}, {pid}) is not in the evaluation set",
                "a pair of the test qrels",
            )
        if (qid, pid) in out.grades:
            raise DataFormatError(
                path, n, f"pair ({qid}, {pid}) is labelled twice", "each pair once"
            )
        out.grades[(qid, pid)] = grade
    return out


def labels_to_qrels(grades: dict[Pair, int]) -> Qrels:
    qrels: Qrels = {}
    for (q, d), g in grades.items():
        qrels.setdefault(q, {})[d] = g
    return qrels


load_judge_qrels = read_judge_qrels  # kept for callers of the task module


# ---------------------------------------------------------------- agreement statistics


# The statistics live in the measures registry; these names stay for the task's callers.
cohen_kappa = measure("cohen_kappa")
krippendorff_alpha_ordinal = measure("krippendorff_alpha")


def kappa_as_submitted(human: dict[Pair, int], labels: Labels) -> float:
    """4-point kappa with out-of-range grades kept as their own categories (not clipped)."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j = np.array([max(labels.out_of_range.get(p, labels.grades.get(p, 0)), 0) for p in keys])
    return cohen_kappa(h, j)


def agreement(human: dict[Pair, int], judge: dict[Pair, int]) -> dict[str, float]:
    """Kappa (4-point and binarised) and ordinal alpha over the human pairs."""
    keys = sorted(human)
    h = np.array([human[p] for p in keys])
    j_alpha = np.array([judge.get(p, -1) for p in keys])
    j = np.maximum(j_alpha, 0)
    out = {"cohen_kappa": cohen_kappa(h, j)}
    for name, t in THRESHOLDS.items():
        out[name] = cohen_kappa((h >= t).astype(int), (j >= t).astype(int), 2)
    out["krippendorff_alpha"] = krippendorff_alpha_ordinal(h, j_alpha)
    return out


# ---------------------------------------------------------------- system-ranking agreement


def pool_spec() -> TaskSpec:
    return TaskSpec(
        name="llmjudge-pool",
        family="llmjudge-pool",
        description="rank the LLMJudge test pool (4,414 passages, 25 queries); TREC DL conventions",
        metrics=("ndcg@10", "map", "recall@100", "mrr@10"),
        main_metric="ndcg@10",
        relevance_threshold=2,
        average_over="qrels",
        run_depth=1000,
        sources=(DataSourceSpec(kind="local", location=f"{FOLDER}/{LABELS['']}"),),
    )


def ranking_agreement(
    runs: dict[str, Run], human: Qrels, judge: Qrels, metric: str = RANKING_METRIC
) -> dict[str, Any]:
    """Score every run under both qrels (judge restricted to the human pairs; missing -> 0), then
    Kendall's tau-b and Spearman's rho between the two lists of scores."""
    from harness.metrics import evaluate

    if len(runs) < 3:
        raise ConfigError(f"system-ranking agreement needs at least 3 runs; got {len(runs)}")
    spec = pool_spec()
    restricted = {q: {d: judge.get(q, {}).get(d, 0) for d in docs} for q, docs in human.items()}
    per_run = {
        name: {
            "human": evaluate(run, human, spec, metrics=(metric,)).means[metric],
            "judge": evaluate(run, restricted, spec, metrics=(metric,)).means[metric],
        }
        for name, run in sorted(runs.items())
    }
    hs = [v["human"] for v in per_run.values()]
    js = [v["judge"] for v in per_run.values()]
    return {
        "kendall_tau": measure("kendall_tau")(hs, js),
        "spearman_rho": measure("spearman")(hs, js),
        "metric": metric,
        "per_run": per_run,
    }


_STOP = frozenset(
    "a an and are as at be by can do does for from how in is it of on or the to what when where "
    "which who why with you your".split()
)


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP]


class _LexicalIndex:
    """A tiny in-memory term index for deterministic, dependency-free baseline runs."""

    def __init__(self, corpus: Corpus, max_tokens: int | None = None) -> None:
        from scipy.sparse import csr_matrix

        self.ids = corpus.ids()
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, did in enumerate(self.ids):
            toks = _tokens(corpus[did].full_text)[:max_tokens]
            for t, c in Counter(toks).items():
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(c)
        self.vocab = vocab
        self.tf = csr_matrix((vals, (rows, cols)), shape=(len(self.ids), len(vocab))).tocsc()
        self.dl = np.asarray(self.tf.sum(axis=1)).ravel()
        self.df = np.diff(self.tf.indptr)
        self.cf = np.asarray(self.tf.sum(axis=0)).ravel()

    def _cols(self, query: str) -> list[int]:
        return [self.vocab[t] for t in _tokens(query) if t in self.vocab]

    def _tf(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = self.tf.indptr[c], self.tf.indptr[c + 1]
        return self.tf.indices[s:e], self.tf.data[s:e].astype(float)

    def bm25(self, query: str, k1: float, b: float) -> np.ndarray:
        n, avg = len(self.ids), self.dl.mean()
        score = np.zeros(n)
        for c in self._cols(query):
            rows, tf = self._tf(c)
            idf = math.log(1 + (n - self.df[c] + 0.5) / (self.df[c] + 0.5))
            score[rows] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * self.dl[rows] / avg))
        return score

    def ql_dirichlet(self, query: str, mu: float) -> np.ndarray:
        total = self.cf.sum()
        score = np.zeros(len(self.ids))
        for c in self._cols(query):
            rows, tf = self._tf(c)
            p = self.cf[c] / total
            col = np.full(len(self.ids), 0.0)
            col[rows] = tf
            score += np.log((col + mu * p) / (self.dl + mu))
        return score

    def tfidf_cosine(self, query: str) -> np.ndarray:
        n = len(self.ids)
        score = np.zeros(n)
        norm = np.zeros(n)
        idf = np.log(n / np.maximum(self.df, 1))
        w = self.tf.copy()
        w.data = (1 + np.log(w.data)) * np.repeat(idf, np.diff(w.indptr))
        norm = np.sqrt(np.asarray(w.multiply(w).sum(axis=1)).ravel())
        for c in set(self._cols(query)):
            s, e = w.indptr[c], w.indptr[c + 1]
            score[w.indices[s:e]] += w.data[s:e] * idf[c]
        return np.divide(score, norm, out=np.zeros(n), where=norm > 0)

    def overlap(self, query: str) -> np.ndarray:
        score = np.zeros(len(self.ids))
        for c in set(self._cols(query)):
            score[self._tf(c)[0]] += 1
        return score


BUILTIN_VERSION = 1


def builtin_run_set(corpus: Corpus, queries: Queries, depth: int = 100) -> dict[str, Run]:
    """Ten deterministic lexical runs of varied quality over the pool (no stemming, no JVM)."""
    full = _LexicalIndex(corpus)
    short = _LexicalIndex(corpus, max_tokens=32)

    def first2(q: str) -> str:
        return " ".join(_tokens(q)[:2])

    systems = {
        "lex-bm25(k1=0.9,b=0.4)": lambda q: full.bm25(q, 0.9, 0.4),
        "lex-bm25(k1=1.2,b=0.75)": lambda q: full.bm25(q, 1.2, 0.75),
        "lex-bm25(k1=2.0,b=1.0)": lambda q: full.bm25(q, 2.0, 1.0),
        "lex-bm25(k1=0.3,b=0.1)": lambda q: full.bm25(q, 0.3, 0.1),
        "lex-ql-dirichlet(mu=1000)": lambda q: full.ql_dirichlet(q, 1000),
        "lex-ql-dirichlet(mu=100)": lambda q: full.ql_dirichlet(q, 100),
        "lex-tfidf-cosine": full.tfidf_cosine,
        "lex-term-overlap": full.overlap,
        "lex-bm25-first32tokens": lambda q: short.bm25(q, 0.9, 0.4),
        "lex-bm25-query2terms": lambda q: full.bm25(first2(q), 0.9, 0.4),
    }
    out: dict[str, Run] = {}
    ids = np.array(full.ids)
    for name, score in systems.items():
        run: Run = {}
        for qid in sorted(queries):
            s = score(queries[qid])
            top = np.lexsort((ids, -s))[:depth]  # score desc, then doc id asc: deterministic
            run[qid] = {str(ids[i]): float(s[i]) for i in top}
        out[name] = run
    return out


def cached_builtin_run_set(data: TaskData, cache_dir: Path) -> dict[str, Run]:
    path = (
        cache_dir / "llmjudge" / f"runset-v{BUILTIN_VERSION}-{data.corpus.content_hash[:16]}.json"
    )
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    from harness.io import atomic_write_text

    runs = builtin_run_set(data.corpus, data.queries)
    atomic_write_text(path, json.dumps(runs))
    return runs


RUN_SET_ENV = "HARNESS_LLMJUDGE_RUN_SET"
RUN_FILE_SUFFIXES = (".trec", ".run", ".txt")


def read_run_set(folder: Path) -> dict[str, Run]:
    """Every TREC run file under ``folder`` (``*.trec``, ``*.run``, ``*.txt``), keyed by its
    path relative to the folder; a folder with none is an error (the tau/rho would be silent)."""
    from harness.io import read_trec_run

    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"llmjudge run set {folder}: not a folder of TREC run files")
    files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix in RUN_FILE_SUFFIXES)
    if not files:
        raise ConfigError(
            f"llmjudge run set {folder}: no run files (*.trec, *.run, *.txt) found in it"
        )
    return {f"{folder.name}/{f.relative_to(folder).as_posix()}": read_trec_run(f) for f in files}


def run_fingerprints(runs: dict[str, Run]) -> list[dict[str, str]]:
    """Name and sha256 of each run's TREC text (trec_eval order), so the set can be verified."""
    import hashlib

    from harness.io import format_trec_run

    return [
        {
            "name": name,
            "sha256": hashlib.sha256(format_trec_run(run, "r").encode("utf-8")).hexdigest(),
        }
        for name, run in sorted(runs.items())
    ]


def offline_run_set(data: TaskData, run_set: Path | None = None) -> tuple[dict[str, Run], str]:
    """The built-in lexical runs, plus the runs of ``run_set`` (a folder) when given."""
    from harness.runtime import default_cache_dir

    runs = cached_builtin_run_set(data, default_cache_dir())
    n_builtin = len(runs)
    given = read_run_set(run_set) if run_set is not None else {}
    runs = {**runs, **given}
    desc = (
        f"offline: {n_builtin} built-in lexical runs over the LLMJudge test pool"
        + (f" + {len(given)} runs from {run_set}" if given else "")
        + " (TREC DL 2023 participant runs are not available offline)"
    )
    return runs, desc


# ---------------------------------------------------------------- loading


def fetch_online(base: str = ONLINE_BASE, cache: Path | None = None) -> Path:
    """Fetch the challenge files into ``<cache>/data/llmjudge``; returns the data root to read."""
    root = (cache or default_cache_dir()) / "data"
    fetch_files(base, ONLINE_FILES, root / FOLDER)
    return root


def _root(data_dir: Path) -> Path:
    return data_dir / FOLDER


def load_pool(data_dir: Path | None) -> TaskData:
    def local(root: Path) -> TaskData:
        base = _root(root)
        qrels = read_trec_qrels(base / LABELS[""])
        queries = {q: t for q, t in read_tsv_queries(base / QUERIES).items() if q in qrels}
        corpus = read_jsonl_corpus(base / PASSAGES, id_fields=("docid", "_id"))
        return TaskData(corpus=corpus, queries=queries, qrels=qrels, source=str(base))

    return load_local_or_online(
        "llmjudge-pool",
        data_dir,
        Path(FOLDER) / PASSAGES,
        local,
        lambda: local(fetch_online()),
        ONLINE_BASE,
    )


def human_labels(data_dir: Path | None, subset: str) -> tuple[dict[Pair, int], Path]:
    if subset not in LABELS:
        raise ConfigError(f"llmjudge/{subset}: unknown subset; known: test (default), dev")
    rel = Path(FOLDER) / LABELS[subset]

    def local(root: Path) -> tuple[dict[Pair, int], Path]:
        return read_labels(root / rel, strict=True).grades, root / rel

    return load_local_or_online(
        f"llmjudge{'/' + subset if subset else ''}",
        data_dir,
        rel,
        local,
        lambda: local(fetch_online()),
        ONLINE_BASE,
    )


# ---------------------------------------------------------------- scoring


def score_labels(
    labels: Labels,
    human: dict[Pair, int],
    data_dir: Path | None,
    subset: str,
    ranking: bool | None = None,
    runs: dict[str, Run] | None = None,
    extra_pairs: int = 0,
    source: str = "",
    run_set: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Agreement (and, on test, system-ranking) scores of ``labels`` against ``human``.

    ``extra_pairs``: labels the judge gave for pairs outside the evaluation set (dropped).
    ``source``: where the labels came from, for warnings and errors.
    ``run_set``: a folder of extra runs for tau/rho (default: ``$HARNESS_LLMJUDGE_RUN_SET``).
    """
    labelled = sum(1 for p in human if p in labels.grades)
    if human and labelled == 0:
        raise DataFormatError(
            source or "judge labels",
            None,
            f"labels none of the {len(human)} evaluation pairs; kappa and alpha would mean nothing",
            "one label per evaluation pair: query-id 0 passage-id grade",
        )
    metrics = agreement(human, labels.grades)
    missing = len(human) - labelled
    extra: dict[str, Any] = {
        "n_pairs": len(human),
        "missing_pairs": missing,
        "missing_pairs_policy": "grade 0 for kappa, missing for alpha (organisers' scorer)",
        "extra_pairs": extra_pairs,
        "clipped_labels": len(labels.out_of_range),
        "clipped_lines": labels.clipped_lines[:20],
        "out_of_range_grades": dict(sorted(Counter(labels.out_of_range.values()).items())),
        "alpha_level": "ordinal",
        "label_counts": dict(sorted(Counter(labels.grades.values()).items())),
    }
    warnings = []
    if labels.out_of_range:
        extra["cohen_kappa_as_submitted"] = kappa_as_submitted(human, labels)
        warnings.append(
            f"{len(labels.out_of_range)} label(s) outside 0-3 clipped into 0-3 (organisers' "
            f"convention); kappa on the labels as submitted: {extra['cohen_kappa_as_submitted']:.5f}"
        )
    if missing:
        warnings.append(
            f"{missing} of {len(human)} pairs have no label (grade 0 for kappa, missing for alpha)"
        )
    if extra_pairs:
        warnings.append(f"{extra_pairs} label(s) for pairs outside the evaluation set ignored")
    extra["warnings"] = warnings
    for w in warnings:
        log.warning("llmjudge%s: %s", f" ({source})" if source else "", w)
    if ranking is None:
        ranking = os.environ.get("HARNESS_LLMJUDGE_RANKING", "1") != "0"
    if ranking and subset == "":
        data = load_pool(data_dir)
        desc = "given runs"
        if runs is None:
            if run_set is None and os.environ.get(RUN_SET_ENV):
                run_set = Path(os.environ[RUN_SET_ENV])
            runs, desc = offline_run_set(data, run_set)
        ra = ranking_agreement(runs, data.qrels, labels_to_qrels(labels.grades))
        metrics["kendall_tau"] = ra["kendall_tau"]
        metrics["spearman_rho"] = ra["spearman_rho"]
        extra["run_set"] = desc
        extra["run_set_files"] = run_fingerprints(runs)
        extra["ranking_metric"] = ra["metric"]
        extra["per_run"] = ra["per_run"]
    else:
        extra["run_set"] = "none (system ranking skipped)"
    return metrics, extra


def score_label_file(
    path: Path,
    data_dir: Path | None,
    subset: str = "",
    ranking: bool | None = None,
    run_set: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    human, src = human_labels(data_dir, subset)
    strict = os.environ.get("HARNESS_LLMJUDGE_STRICT", "0") == "1"
    labels = read_labels(path, pairs=set(human), strict=strict)
    metrics, extra = score_labels(
        labels, human, data_dir, subset, ranking, source=str(path), run_set=run_set
    )
    extra["human_labels"] = str(src)
    return metrics, extra


def score_submissions(
    folder: Path, data_dir: Path | None, ranking: bool = False
) -> list[dict[str, Any]]:
    """Every ``*.txt`` label file in ``folder`` scored side by side, best kappa first."""
    rows = []
    for f in sorted(Path(folder).glob("*.txt")):
        m, extra = score_label_file(f, data_dir, "", ranking=ranking)
        rows.append({"run": f.stem, **m, "clipped_labels": extra["clipped_labels"]})
    return sorted(rows, key=lambda r: -r["cohen_kappa"])


# ---------------------------------------------------------------- task plugins


def _custom_spec(subset: str) -> TaskSpec:
    metrics = AGREEMENT_METRICS + (RANKING_METRICS if subset == "" else ())
    return TaskSpec(  # kappa/alpha are not ranx metric ids
        metric_engine="custom",
        name="llmjudge" + (f"/{subset}" if subset else ""),
        family="llmjudge",
        subset=subset,
        split=subset or "test",
        description="judge labels vs human labels: Cohen's kappa (main), binarised kappa, "
        "ordinal alpha, system-ranking tau/rho",
        metrics=metrics,
        main_metric="cohen_kappa",
        relevance_threshold=2,
        sources=(DataSourceSpec(kind="local", location=f"{FOLDER}/{LABELS[subset]}"),),
        reference={
            "willia-umbrela1 cohen_kappa": 0.2863,
            "h2oloo-fewself cohen_kappa": 0.2774,
            "prophet-setting2 cohen_kappa": 0.1757,
        }
        if subset == ""
        else {},
    )


class LLMJudgeTask:
    family: ClassVar[str] = "llmjudge"
    description: ClassVar[str] = (
        "LLMJudge 2024: judge labels (0-3) vs human labels; Cohen's kappa, alpha, system ranking"
    )

    def subsets(self) -> list[str]:
        return ["", "dev"]

    def spec(self, subset: str) -> TaskSpec:
        if subset not in LABELS:
            raise ConfigError(f"llmjudge/{subset}: unknown subset; known: test (default), dev")
        return _custom_spec(subset)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        if subset:
            raise ConfigError("llmjudge/dev has no passage texts; only label files can be scored")
        return load_pool(data_dir)

    def evaluate_file(
        self, subset: str, path: Path, data_dir: Path | None, run_set: Path | None = None
    ) -> CustomResult:
        """Score a label file; ``run_set``: folder of extra runs for tau/rho (``--run-set``)."""
        from harness.task import CustomResult

        metrics, extra = score_label_file(path, data_dir, subset, run_set=run_set)
        return CustomResult(
            metrics=metrics, n_items=extra["n_pairs"], source=extra["human_labels"], extra=extra
        )

    def custom_run(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
        limit_queries: int | None = None,
    ) -> CustomResult:
        """Judge the test pairs and score them; ``limit_queries``: only the pairs of the first N
        queries (sorted ids, as ``harness.task.limit_queries``), scored against those pairs."""
        from harness.task import CustomResult

        judge = pipeline.stages[0]
        if not isinstance(judge, RelevanceJudge):
            raise ConfigError(
                f"llmjudge: system {pipeline.names[0]!r} is not a relevance judge "
                "(it needs judge(queries, corpus, pairs, ctx) -> {(qid, pid): 0-3})"
            )
        if subset:
            raise ConfigError("llmjudge/dev has no passage texts; a judge can only run on test")
        data = load_pool(data_dir)
        human, src = human_labels(data_dir, subset)
        scope: dict[str, Any] = {}
        if limit_queries:
            keep = set(sorted({q for q, _ in human})[:limit_queries])
            human = {p: g for p, g in human.items() if p[0] in keep}
            scope = {"limit_queries": limit_queries, "queries": sorted(keep)}
        grades = judge.judge(data.queries, data.corpus, sorted(human), ctx)
        labels = Labels({})
        outside = 0
        for (q, d), g in grades.items():
            if (q, d) not in human:
                outside += 1
                continue
            if not 0 <= int(g) < GRADES:
                labels.out_of_range[(q, d)] = int(g)
            labels.grades[(q, d)] = min(max(int(g), 0), GRADES - 1)
        metrics, extra = score_labels(
            labels,
            human,
            data_dir,
            subset,
            ranking=False if scope else None,
            extra_pairs=outside,
            source=pipeline.names[0],
        )
        if scope:  # system ranking needs every query's labels: not computed on a subset
            extra["scope"] = scope
            extra["run_set"] = "none (system ranking skipped: --limit-queries judges a subset)"
        text = "".join(f"{q} 0 {d} {g}\n" for (q, d), g in sorted(labels.grades.items()))
        return CustomResult(
            metrics=metrics,
            artifact=text,
            artifact_name="labels.txt",
            n_items=len(human),
            source=str(src),
            extra=extra,
        )


class LLMJudgePoolTask:
    family: ClassVar[str] = "llmjudge-pool"
    description: ClassVar[str] = (
        "LLMJudge test pool: 4,414 passages, 25 queries, human qrels (graded nDCG@10, rel>=2)"
    )

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        if subset:
            raise ConfigError("llmjudge-pool has no subsets")
        return pool_spec()

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return load_pool(data_dir)
