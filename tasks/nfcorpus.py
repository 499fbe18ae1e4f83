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
    """NFCorpus from the authors' release (the ``shared/data/nfcorpus`` layout): BEIR's test
    queries and qrels on ``test``, the release's own on other splits. Its text is preprocessed, so
    scores on it are not comparable with BEIR's."""
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
    """NFCorpus under its own name, scored as BEIR's nfcorpus, that also reads the original
    release offline (not only a BEIR folder)."""

    family: ClassVar[str] = "nfcorpus"
    description: ClassVar[str] = "NFCorpus medical IR (BEIR test queries/qrels; nDCG@10)"

    def subsets(self) -> list[str]:
        """Test (the empty subset, BEIR's split) and dev."""
        return ["", "dev"]

    def spec(self, subset: str) -> TaskSpec:
        """BEIR's nfcorpus scoring on ``test`` (also the empty subset) or ``dev``; any other split
        is refused."""
        if subset not in ("", "test", "dev"):
            raise ConfigError(f"nfcorpus/{subset}: unknown split; known: test (default), dev")
        split = subset or "test"
        return beir_spec("nfcorpus", self.family, subset, split)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """A BEIR folder (``<data>/nfcorpus/corpus.jsonl``) first, else the original release, else
        ir_datasets ``beir/nfcorpus/<split>``."""
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
