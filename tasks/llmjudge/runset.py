"""The run set of system-ranking agreement: each run scored under human and judge qrels, then
Kendall's tau / Spearman's rho between the two orderings.

The built-in runs are ten configurations of the ``lexical`` system, got through the system
registry (the task never imports a system module); a folder of TREC run files can be added.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.eval.measures import measure
from ir_harness.tasks.llmjudge.data import pool_spec

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Qrels, Queries, Run, TaskData

RANKING_METRICS = ("kendall_tau", "spearman_rho")
RANKING_METRIC = "ndcg@10"


def ranking_agreement(
    runs: dict[str, Run], human: Qrels, judge: Qrels, metric: str = RANKING_METRIC
) -> dict[str, Any]:
    """Score every run under both qrels (judge restricted to the human pairs; missing -> 0), then
    Kendall's tau-b and Spearman's rho between the two lists of scores."""
    from ir_harness.eval.metrics import evaluate

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


BUILTIN_VERSION = 1
# name -> options of the ``lexical`` system; varied quality, deterministic (no stemming, no JVM)
BUILTIN_RUNS: dict[str, dict[str, Any]] = {
    "lex-bm25(k1=0.9,b=0.4)": {"method": "bm25", "k1": 0.9, "b": 0.4},
    "lex-bm25(k1=1.2,b=0.75)": {"method": "bm25", "k1": 1.2, "b": 0.75},
    "lex-bm25(k1=2.0,b=1.0)": {"method": "bm25", "k1": 2.0, "b": 1.0},
    "lex-bm25(k1=0.3,b=0.1)": {"method": "bm25", "k1": 0.3, "b": 0.1},
    "lex-ql-dirichlet(mu=1000)": {"method": "ql-dirichlet", "mu": 1000},
    "lex-ql-dirichlet(mu=100)": {"method": "ql-dirichlet", "mu": 100},
    "lex-tfidf-cosine": {"method": "tfidf-cosine"},
    "lex-term-overlap": {"method": "overlap"},
    "lex-bm25-first32tokens": {"method": "bm25", "k1": 0.9, "b": 0.4, "max_tokens": 32},
    "lex-bm25-query2terms": {"method": "bm25", "k1": 0.9, "b": 0.4, "query_terms": 2},
}


def builtin_run_set(corpus: Corpus, queries: Queries, depth: int = 100) -> dict[str, Run]:
    """Ten deterministic lexical runs of varied quality over the pool (``BUILTIN_RUNS``)."""
    from ir_harness.registry import SYSTEMS
    from ir_harness.run.context import RunContext

    ctx = RunContext(progress=False)
    out: dict[str, Run] = {}
    for name, options in BUILTIN_RUNS.items():
        system = SYSTEMS.get("lexical")(**options)
        system.index(corpus, ctx)
        out[name] = system.search(queries, depth, ctx)
    return out


def cached_builtin_run_set(data: TaskData, cache_dir: Path) -> dict[str, Run]:
    """The built-in runs, computed once per pool and kept as JSON in ``cache_dir``, keyed by the
    corpus hash and ``BUILTIN_VERSION``, so scoring a label file does not rerun ten systems."""
    path = (
        cache_dir / "llmjudge" / f"runset-v{BUILTIN_VERSION}-{data.corpus.content_hash[:16]}.json"
    )
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    from ir_harness.data.formats import atomic_write_text

    runs = builtin_run_set(data.corpus, data.queries)
    atomic_write_text(path, json.dumps(runs))
    return runs


RUN_SET_ENV = "HARNESS_LLMJUDGE_RUN_SET"
RUN_FILE_SUFFIXES = (".trec", ".run", ".txt")


def read_run_set(folder: Path) -> dict[str, Run]:
    """Every TREC run file under ``folder`` (``*.trec``, ``*.run``, ``*.txt``), keyed by its
    path relative to the folder; a folder with none is an error (the tau/rho would be silent)."""
    from ir_harness.data.formats import read_trec_run

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

    from ir_harness.data.formats import format_trec_run

    return [
        {
            "name": name,
            "sha256": hashlib.sha256(format_trec_run(run, "r").encode("utf-8")).hexdigest(),
        }
        for name, run in sorted(runs.items())
    ]


def offline_run_set(data: TaskData, run_set: Path | None = None) -> tuple[dict[str, Run], str]:
    """The built-in lexical runs, plus the runs of ``run_set`` (a folder) when given."""
    from ir_harness.run.context import default_cache_dir

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
