"""Task kinds that own how their data loads, so a ranking task is declared, not coded.

A ranking task of one of these kinds names its folder under the data dir, its online source
and its scoring conventions; the spec (with its data sources) and the loader are derived from
those, so each is written once. One shared loader (``load_local_or_online``) reads the local
folder when it is there, else the online source:

* ``FilesRankingTask``: three files in TREC layout (TSV corpus ``id<TAB>text``, TSV queries,
  TREC qrels); online, the same file names under a base URL, fetched once into the cache.
* ``JsonlRankingTask``: the BEIR layout (``corpus.jsonl``, ``queries.jsonl``,
  ``qrels/<split>.tsv``); online, an ir_datasets id. BEIR's scoring conventions by default.
* ``HubRankingTask``: the MTEB layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels.jsonl``);
  online, a Hugging Face dataset with the configs ``corpus``, ``queries`` and ``default``.

Queries without judgments are dropped by the first two (only judged queries are scored).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from ir_harness.data.formats import (
    read_jsonl_corpus,
    read_jsonl_qrels,
    read_jsonl_queries,
    read_trec_qrels,
    read_tsv_corpus,
    read_tsv_qrels,
    read_tsv_queries,
)
from ir_harness.data.model import Corpus, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.task import Task, fetch_files, load_local_or_online

OnlineKind = Literal["ir_datasets", "hf", "generated"]


class RankingTask(Task):
    """One ranking task (no subsets): a folder under the data dir, else one online source.

    A kind says how its folder reads (``read_folder``), which file marks the folder as present
    (``marker``) and how the online source loads (``fetch``); a task says the rest as class
    attributes. ``local_note``/``online_note`` annotate the spec's sources; ``online_hint`` is
    added to the error when neither source works.
    """

    folder: ClassVar[str]
    online: ClassVar[str | None] = None
    online_kind: ClassVar[OnlineKind] = "generated"
    online_note: ClassVar[str] = ""
    online_hint: ClassVar[str] = ""
    local_note: ClassVar[str] = ""
    split: ClassVar[str] = "test"
    metrics: ClassVar[tuple[str, ...]]
    main_metric: ClassVar[str]
    run_depth: ClassVar[int] = 1000
    average_over: ClassVar[Literal["qrels", "intersection"]] = "qrels"
    ignore_identical_ids: ClassVar[bool] = False

    def marker(self) -> str:
        """The file under ``folder`` whose presence means the local copy is there."""
        raise NotImplementedError

    def read_folder(self, folder: Path) -> TaskData:
        """The task's data from its local copy (the kind's layout)."""
        raise NotImplementedError

    def fetch(self) -> TaskData:
        """The task's data from its online source."""
        raise NotImplementedError

    def online_name(self) -> str:
        """How errors name the online loader."""
        return self.online or ""

    def subsets(self) -> list[str]:
        """One task, no subsets: the empty name stands for the task itself."""
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        """The spec from the class attributes, its sources derived from the folder and the
        online source (so neither is written twice)."""
        if subset:
            raise ConfigError(f"{self.family}/{subset}: {self.family} has no subsets")
        local = DataSourceSpec(
            kind="local", location=f"{self.folder}/{self.marker()}", note=self.local_note
        )
        online = (
            [DataSourceSpec(kind=self.online_kind, location=self.online, note=self.online_note)]
            if self.online
            else []
        )
        return TaskSpec(
            name=self.family,
            family=self.family,
            split=self.split,
            description=self.description,
            metrics=self.metrics,
            main_metric=self.main_metric,
            run_depth=self.run_depth,
            average_over=self.average_over,
            ignore_identical_ids=self.ignore_identical_ids,
            sources=(local, *online),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The local folder when it is there, else the online source (one shared loader)."""
        self.spec(subset)
        name = self.online_name()
        return load_local_or_online(
            self.family,
            data_dir,
            Path(self.folder) / self.marker(),
            lambda root: self.read_folder(root / self.folder),
            self.fetch if self.online else None,
            f"{name} {self.online_hint}" if self.online_hint else name,
        )


class FilesRankingTask(RankingTask):
    """``folder/{corpus.tsv, queries.tsv, qrels.txt}``; online, the same files under a URL."""

    corpus_file: ClassVar[str] = "corpus.tsv"
    queries_file: ClassVar[str] = "queries.tsv"
    qrels_file: ClassVar[str] = "qrels.txt"

    def marker(self) -> str:
        """The qrels file: without judgments the folder cannot be scored."""
        return self.qrels_file

    def read_folder(self, folder: Path) -> TaskData:
        """The three TREC-layout files; queries without judgments are dropped."""
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


def read_split_folder(folder: Path, split: str = "test", corpus: bool = True) -> TaskData:
    """The BEIR layout; queries without judgments in ``split`` are dropped, as BEIR does.

    ``corpus=False`` leaves the corpus empty: scoring a run needs only queries and qrels, and
    parsing a large ``corpus.jsonl`` was a second of every ``harness eval``.
    """
    from ir_harness.corpus.sources import load_corpus_file

    qrels = read_tsv_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {q: t for q, t in read_jsonl_queries(folder / "queries.jsonl").items() if q in qrels}
    return TaskData(
        corpus=load_corpus_file(folder / "corpus.jsonl") if corpus else Corpus([]),
        queries=queries,
        qrels=qrels,
        source=str(folder),
    )


# BEIR's scoring (beir-cellar/beir ``EvaluateRetrieval``): these cut-offs, nDCG@10 main,
# averaged over the judged queries present in the run.
SPLIT_FOLDER_METRICS = ("ndcg@10", "recall@100", "recall@1000", "map@100", "mrr@10")


class JsonlRankingTask(RankingTask):
    """``folder/{corpus.jsonl, queries.jsonl, qrels/<split>.tsv}`` (the BEIR layout); online,
    the ir_datasets id ``online``. Scored as BEIR scores unless the task says otherwise."""

    online_kind: ClassVar[OnlineKind] = "ir_datasets"
    metrics: ClassVar[tuple[str, ...]] = SPLIT_FOLDER_METRICS
    main_metric: ClassVar[str] = "ndcg@10"
    average_over: ClassVar[Literal["qrels", "intersection"]] = "intersection"

    def marker(self) -> str:
        """The split's qrels file, as BEIR folders have it."""
        return f"qrels/{self.split}.tsv"

    def read_folder(self, folder: Path) -> TaskData:
        """The BEIR layout at the task's split."""
        return read_split_folder(folder, self.split)

    def load_judgments(self, subset: str, data_dir: Path | None) -> TaskData:
        """Queries and qrels without the corpus when the folder is local (scoring a run)."""
        self.spec(subset)
        if data_dir is not None and (data_dir / self.folder / self.marker()).exists():
            return read_split_folder(data_dir / self.folder, self.split, corpus=False)
        return self.load(subset, data_dir)

    def fetch(self) -> TaskData:
        """The ir_datasets id (downloaded and cached by ir_datasets)."""
        from ir_harness.data.irds import load_irds

        return load_irds(self.online or "")

    def online_name(self) -> str:
        """The loader and id, as errors name them."""
        return f"ir_datasets {self.online!r}"


class HubRankingTask(RankingTask):
    """``folder/{corpus.jsonl, queries.jsonl, qrels.jsonl}`` (the MTEB layout); online, the
    Hugging Face dataset ``online`` in the same layout."""

    online_kind: ClassVar[OnlineKind] = "hf"
    marker_file: ClassVar[str] = "qrels.jsonl"

    def marker(self) -> str:
        """The task's marker file (``qrels.jsonl`` unless the task names another)."""
        return self.marker_file

    def read_folder(self, folder: Path) -> TaskData:
        """The MTEB layout: corpus, queries and qrels as JSON lines."""
        return TaskData(
            corpus=read_jsonl_corpus(folder / "corpus.jsonl"),
            queries=read_jsonl_queries(folder / "queries.jsonl"),
            qrels=read_jsonl_qrels(folder / "qrels.jsonl"),
            source=str(folder),
        )

    def fetch(self) -> TaskData:
        """The Hugging Face dataset at the task's split."""
        from ir_harness.data.hub import load_hub_ranking

        return load_hub_ranking(self.online or "", self.split)

    def online_name(self) -> str:
        """The loader and dataset, as errors name them."""
        return f"HF datasets {self.online!r}"
