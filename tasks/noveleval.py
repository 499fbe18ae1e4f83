"""NovelEval-2306 (RankGPT): 21 questions about post-GPT-4 events x 20 web passages, graded 0-2.

Its official home is the RankGPT GitHub repository; the online loader fetches those files into
the cache. nDCG@10 main (RankGPT reports nDCG@1/5/10).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ir_harness.data.formats import read_trec_qrels, read_tsv_corpus, read_tsv_queries
from ir_harness.data.model import TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.run.context import default_cache_dir
from ir_harness.task import Task, fetch_files, load_local_or_online

ONLINE_BASE = "https://raw.githubusercontent.com/sunnweiwei/RankGPT/main/NovelEval"
FILES = ("corpus.tsv", "queries.tsv", "qrels.txt")


def read_noveleval_folder(folder: Path) -> TaskData:
    qrels = read_trec_qrels(folder / "qrels.txt")
    return TaskData(
        corpus=read_tsv_corpus(folder / "corpus.tsv"),
        queries={q: t for q, t in read_tsv_queries(folder / "queries.tsv").items() if q in qrels},
        qrels=qrels,
        source=str(folder),
    )


def fetch_online(base: str = ONLINE_BASE, dest: Path | None = None) -> TaskData:
    dest = dest or default_cache_dir() / "data" / "noveleval"
    return read_noveleval_folder(fetch_files(base, {n: n for n in FILES}, dest))


class NovelEvalTask(Task):
    family: ClassVar[str] = "noveleval"
    description: ClassVar[str] = "NovelEval-2306 (RankGPT): 21 queries x 20 passages, graded 0-2"

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        return TaskSpec(
            name="noveleval",
            family=self.family,
            description=self.description,
            metrics=("ndcg@1", "ndcg@5", "ndcg@10", "map"),
            main_metric="ndcg@10",
            run_depth=100,
            sources=(
                DataSourceSpec(kind="local", location="noveleval/qrels.txt"),
                DataSourceSpec(kind="generated", location=ONLINE_BASE, note="GitHub raw files"),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return load_local_or_online(
            "noveleval",
            data_dir,
            Path("noveleval/qrels.txt"),
            lambda root: read_noveleval_folder(root / "noveleval"),
            fetch_online,
            ONLINE_BASE,
        )
