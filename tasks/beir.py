"""BEIR: any BEIR-format folder (``<data>/<name>/{corpus.jsonl, queries.jsonl, qrels/test.tsv}``)
or, online, the dataset of that name through ir_datasets (``beir/<name>[/test]``).

Conventions (beir-cellar/beir ``EvaluateRetrieval``): document text is title + " " + text;
nDCG@10 with linear gain over queries present in the run; results whose doc id equals the query
id are dropped for ArguAna and Quora (``ignore_identical_ids``).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from harness.data import TaskData
from harness.errors import ConfigError
from harness.io import read_beir_tsv_qrels, read_jsonl_corpus, read_jsonl_queries
from harness.spec import DataSourceSpec, TaskSpec
from harness.task import load_local_or_online

SELF_HIT_DATASETS = {"arguana", "quora"}
# ir_datasets ids whose test split has no "/test" suffix.
_NO_SPLIT = {
    "arguana",
    "climate-fever",
    "scidocs",
    "signal1m",
    "trec-covid",
    "trec-news",
    "robust04",
    "webis-touche2020",
    "webis-touche2020/v2",
    "bioasq",
}


def read_beir_folder(folder: Path, split: str = "test") -> TaskData:
    """The official BEIR layout; queries without judgments in ``split`` are dropped, as BEIR does."""
    qrels = read_beir_tsv_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {q: t for q, t in read_jsonl_queries(folder / "queries.jsonl").items() if q in qrels}
    return TaskData(
        corpus=read_jsonl_corpus(folder / "corpus.jsonl"),
        queries=queries,
        qrels=qrels,
        source=str(folder),
    )


def irds_id(name: str, split: str = "test") -> str:
    if name in _NO_SPLIT or name.endswith(f"/{split}"):
        return f"beir/{name}"
    return f"beir/{name}/{split}"


def beir_spec(name: str, family: str, subset: str, split: str = "test") -> TaskSpec:
    return TaskSpec(
        name=f"{family}/{subset}" if subset else family,
        family=family,
        subset=subset,
        split=split,
        description=f"BEIR {name} ({split})",
        metrics=("ndcg@10", "recall@100", "recall@1000", "map@100", "mrr@10"),
        main_metric="ndcg@10",
        ignore_identical_ids=name.split("/")[0] in SELF_HIT_DATASETS,
        average_over="intersection",
        sources=(
            DataSourceSpec(kind="local", location=f"{name}/qrels/{split}.tsv"),
            DataSourceSpec(kind="ir_datasets", location=irds_id(name, split)),
        ),
    )


class BeirTask:
    family: ClassVar[str] = "beir"
    description: ClassVar[str] = (
        "any BEIR dataset: beir/<name> from <data>/<name>/ (BEIR layout) or ir_datasets beir/<name>"
    )

    def subsets(self) -> list[str]:
        return []

    def spec(self, subset: str) -> TaskSpec:
        if not subset:
            raise ConfigError("beir needs a dataset name: beir/<name>, e.g. beir/scifact")
        return beir_spec(subset, self.family, subset)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        spec = self.spec(subset)

        def online() -> TaskData:
            from tasks._irds import load_irds

            return load_irds(irds_id(subset, spec.split))

        return load_local_or_online(
            spec.name,
            data_dir,
            Path(subset) / "qrels" / f"{spec.split}.tsv",
            lambda root: read_beir_folder(root / subset, spec.split),
            online,
            f"ir_datasets {irds_id(subset)!r}",
        )
