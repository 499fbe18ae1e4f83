"""NFCorpus (BEIR test queries and qrels).

Online: ir_datasets ``beir/nfcorpus/test`` (raw abstracts, as BEIR). Offline it reads either a
BEIR folder ``<data>/nfcorpus/corpus.jsonl`` or the original release laid out as in
``shared/data/nfcorpus`` -- whose documents are the authors' preprocessed text (lower-cased, stop
words removed), so scores there are *not* comparable with published BEIR NFCorpus numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ir_harness.data.formats import read_trec_qrels, read_tsv_corpus, read_tsv_queries
from ir_harness.data.model import TaskData
from ir_harness.errors import ConfigError
from ir_harness.task import Task, load_local_or_online
from ir_harness.tasks.beir import beir_spec, read_beir_folder

if TYPE_CHECKING:
    from ir_harness.data.spec import TaskSpec


def read_original_release(root: Path, split: str) -> TaskData:
    base = root / "nfcorpus"
    if split == "test":
        qrels = read_trec_qrels(base / "beir-test" / "qrels.test.txt")
        queries = read_tsv_queries(base / "beir-test" / "queries.test.tsv")
    else:
        qrels = read_trec_qrels(base / "original" / f"{split}.2-1-0.qrel")
        queries = read_tsv_queries(base / "original" / f"{split}.titles.queries")
    corpus = read_tsv_corpus(base / "original" / f"{split}.docs.gz")
    queries = {q: t for q, t in queries.items() if q in qrels}
    return TaskData(
        corpus=corpus,
        queries=queries,
        qrels=qrels,
        source=f"{base} (original release, preprocessed text)",
    )


class NFCorpusTask(Task):
    family: ClassVar[str] = "nfcorpus"
    description: ClassVar[str] = "NFCorpus medical IR (BEIR test queries/qrels; nDCG@10)"

    def subsets(self) -> list[str]:
        return ["", "dev"]

    def spec(self, subset: str) -> TaskSpec:
        if subset not in ("", "test", "dev"):
            raise ConfigError(f"nfcorpus/{subset}: unknown split; known: test (default), dev")
        split = subset or "test"
        return beir_spec("nfcorpus", self.family, subset, split)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        spec = self.spec(subset)

        def local(root: Path) -> TaskData:
            if (root / "nfcorpus" / "corpus.jsonl").exists():
                return read_beir_folder(root / "nfcorpus", spec.split)
            return read_original_release(root, spec.split)

        def online() -> TaskData:
            from ir_harness.tasks._irds import load_irds

            return load_irds(f"beir/nfcorpus/{spec.split}")

        expected = Path("nfcorpus") / (
            "beir-test/qrels.test.txt"
            if spec.split == "test"
            else f"original/{spec.split}.2-1-0.qrel"
        )
        if data_dir and (data_dir / "nfcorpus" / "corpus.jsonl").exists():
            expected = Path("nfcorpus/corpus.jsonl")
        return load_local_or_online(
            spec.name,
            data_dir,
            expected,
            local,
            online,
            f"ir_datasets 'beir/nfcorpus/{spec.split}'",
        )
