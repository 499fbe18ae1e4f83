"""Task kinds that own how their data loads, so a task of that kind is declared, not coded.

``FilesRankingTask``: a ranking task whose data is three files in TREC layout (a TSV corpus
``id<TAB>text``, TSV queries, TREC qrels), read from a folder under the data dir or, when that
folder is absent, fetched once from an online base URL holding the same file names. The task
names its folder, its URL and its scoring conventions; the spec's data sources and the loader
are derived from those, so they are written once.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ir_harness.data.formats import read_trec_qrels, read_tsv_corpus, read_tsv_queries
from ir_harness.data.model import TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.task import Task, fetch_files, load_local_or_online


class FilesRankingTask(Task):
    """One ranking task (no subsets) read from ``folder/{corpus,queries,qrels}`` files.

    Queries without judgments are dropped (only judged queries are scored)."""

    folder: ClassVar[str]
    online: ClassVar[str | None] = None
    online_note: ClassVar[str] = ""
    corpus_file: ClassVar[str] = "corpus.tsv"
    queries_file: ClassVar[str] = "queries.tsv"
    qrels_file: ClassVar[str] = "qrels.txt"
    metrics: ClassVar[tuple[str, ...]]
    main_metric: ClassVar[str]
    run_depth: ClassVar[int] = 1000

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        sources = [DataSourceSpec(kind="local", location=f"{self.folder}/{self.qrels_file}")]
        if self.online:
            sources.append(
                DataSourceSpec(kind="generated", location=self.online, note=self.online_note)
            )
        return TaskSpec(
            name=self.family,
            family=self.family,
            description=self.description,
            metrics=self.metrics,
            main_metric=self.main_metric,
            run_depth=self.run_depth,
            sources=tuple(sources),
        )

    def read_folder(self, folder: Path) -> TaskData:
        qrels = read_trec_qrels(folder / self.qrels_file)
        queries = read_tsv_queries(folder / self.queries_file)
        return TaskData(
            corpus=read_tsv_corpus(folder / self.corpus_file),
            queries={q: t for q, t in queries.items() if q in qrels},
            qrels=qrels,
            source=str(folder),
        )

    def fetch(self, base: str | None = None, dest: Path | None = None) -> TaskData:
        """The online files (from ``base``, default the task's URL) into ``dest`` (default the
        harness cache), read as the local folder is."""
        from ir_harness.run.context import default_cache_dir

        url = base or self.online
        if not url:
            raise ValueError(f"{self.family}: no online source")
        dest = dest or default_cache_dir() / "data" / self.folder
        names = [self.corpus_file, self.queries_file, self.qrels_file]
        return self.read_folder(fetch_files(url, {n: n for n in names}, dest))

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return load_local_or_online(
            self.family,
            data_dir,
            Path(self.folder) / self.qrels_file,
            lambda root: self.read_folder(root / self.folder),
            self.fetch if self.online else None,
            self.online or "",
        )
