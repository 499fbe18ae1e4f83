"""Where the LLMJudge files live (data dir, else the challenge's repository) and how they load."""

from __future__ import annotations

from pathlib import Path

from ir_harness.data.formats import read_jsonl_corpus, read_trec_qrels, read_tsv_queries
from ir_harness.data.model import TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.run.context import default_cache_dir
from ir_harness.task import fetch_files, load_local_or_online
from ir_harness.tasks.llmjudge.labels import Pair, read_labels

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


def pool_spec() -> TaskSpec:
    """The test pool scored as TREC DL is (graded nDCG@10, relevant at grade >= 2); the
    system-ranking agreement scores its runs with this spec too."""
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


def fetch_online(base: str = ONLINE_BASE, cache: Path | None = None) -> Path:
    """Fetch the challenge files into ``<cache>/data/llmjudge``; returns the data root to read."""
    root = (cache or default_cache_dir()) / "data"
    fetch_files(base, ONLINE_FILES, root / FOLDER)
    return root


def _root(data_dir: Path) -> Path:
    return data_dir / FOLDER


def load_pool(data_dir: Path | None) -> TaskData:
    """The test pool (labelled queries, their passages, human qrels) from ``<data>/llmjudge``,
    else fetched once from the challenge's repository into the cache."""

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
    """The human grades of ``subset`` (test, or dev) and the file they came from, read strictly
    (a grade outside 0-3 is an error); fetched online when not in the data dir."""
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
