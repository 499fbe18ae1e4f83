"""LIMIT (google-deepmind/limit): "Who likes X?" queries with exactly 2 relevant people each.

* ``limit-small``: 46 documents, 1,000 queries. HF ``orionweller/LIMIT-small``.
* ``limit``: the full set, 50,000 documents (the 46 relevant people plus distractors), 1,000
  queries that are *not* those of limit-small. HF ``orionweller/LIMIT``. Only the queries and
  qrels exist offline: the corpus is distributed on Hugging Face alone.

Main score recall@2, as MTEB labels it (``LIMITSmallRetrieval`` / ``LIMITRetrieval``
``main_score``); the paper's headline for full LIMIT is recall@100, reported beside it with
recall@10. Both HF datasets are MTEB format (configs ``corpus``, ``queries``, ``default`` for
qrels); locally ``<data>/<name>/{corpus,queries,qrels}.jsonl``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ir_harness.data.formats import read_jsonl_corpus, read_jsonl_qrels, read_jsonl_queries
from ir_harness.data.model import Corpus, Document, Qrels, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.task import Task, load_local_or_online

if TYPE_CHECKING:
    from collections.abc import Iterable

HF_ID = "orionweller/LIMIT-small"
HF_ID_FULL = "orionweller/LIMIT"


def from_mteb_rows(
    corpus: Iterable[dict[str, Any]],
    queries: Iterable[dict[str, Any]],
    qrels: Iterable[dict[str, Any]],
    source: str,
) -> TaskData:
    """Build TaskData from MTEB-format HF rows (the online path; tested on inline rows)."""
    q: Qrels = {}
    for r in qrels:
        q.setdefault(str(r["query-id"]), {})[str(r["corpus-id"])] = int(r["score"])
    return TaskData(
        corpus=Corpus(Document(str(d["_id"]), d["text"], d.get("title") or "") for d in corpus),
        queries={str(x["_id"]): x["text"] for x in queries},
        qrels=q,
        source=source,
    )


def load_hf_mteb(hf_id: str) -> TaskData:
    from datasets import load_dataset

    return from_mteb_rows(
        load_dataset(hf_id, "corpus", split="corpus"),
        load_dataset(hf_id, "queries", split="queries"),
        load_dataset(hf_id, "default", split="test"),
        source=f"hf:{hf_id}",
    )


def read_mteb_folder(folder: Path) -> TaskData:
    return TaskData(
        corpus=read_jsonl_corpus(folder / "corpus.jsonl"),
        queries=read_jsonl_queries(folder / "queries.jsonl"),
        qrels=read_jsonl_qrels(folder / "qrels.jsonl"),
        source=str(folder),
    )


class LimitSmallTask(Task):
    family: ClassVar[str] = "limit-small"
    description: ClassVar[str] = (
        "LIMIT-small: 46 docs, 1000 queries x 2 relevant; recall@2 main (MTEB), recall@100 (paper)"
    )

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        return TaskSpec(
            name="limit-small",
            family=self.family,
            description=self.description,
            metrics=("recall@2", "recall@10", "recall@100", "ndcg@10"),
            main_metric="recall@2",
            average_over="intersection",
            run_depth=100,
            sources=(
                DataSourceSpec(kind="local", location="limit-small/qrels.jsonl"),
                DataSourceSpec(kind="hf", location=HF_ID),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        return load_local_or_online(
            "limit-small",
            data_dir,
            Path("limit-small/qrels.jsonl"),
            lambda root: read_mteb_folder(root / "limit-small"),
            lambda: load_hf_mteb(HF_ID),
            f"HF datasets {HF_ID!r}",
        )


class LimitTask(Task):
    """Full LIMIT: the same scoring as limit-small over a 50k-document corpus."""

    family: ClassVar[str] = "limit"
    description: ClassVar[str] = (
        "LIMIT full: 50k docs, 1000 queries x 2 relevant; recall@2 main (MTEB), recall@100 "
        "(paper headline); corpus on HF only"
    )

    def subsets(self) -> list[str]:
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        if subset:
            raise ConfigError(f"limit/{subset}: limit has no subsets (see also limit-small)")
        return TaskSpec(
            name="limit",
            family=self.family,
            description=self.description,
            metrics=("recall@2", "recall@10", "recall@100", "ndcg@10"),
            main_metric="recall@2",
            average_over="intersection",
            run_depth=100,
            sources=(
                DataSourceSpec(
                    kind="local",
                    location="limit/corpus.jsonl",
                    note="with limit/queries.jsonl and limit/qrels.jsonl",
                ),
                DataSourceSpec(kind="hf", location=HF_ID_FULL),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        self.spec(subset)
        return load_local_or_online(
            "limit",
            data_dir,
            Path("limit/corpus.jsonl"),
            lambda root: read_mteb_folder(root / "limit"),
            lambda: load_hf_mteb(HF_ID_FULL),
            f"HF datasets {HF_ID_FULL!r} (LIMIT's 50,000-document corpus is distributed only "
            "there; no offline copy exists, shared data has its queries and qrels only: put "
            "corpus.jsonl beside them in <data>/limit/ to run offline)",
        )
