"""BEIR: every public BEIR dataset by name, from a local BEIR folder or online through ir_datasets.

Names: ``beir/<name>`` with the BEIR dataset name (``beir/scifact``, ``beir/msmarco``,
``beir/cqadupstack/android``); ``beir/<name>/<split>`` picks another split where one exists.
A local folder ``<data>/<name>/{corpus.jsonl, queries.jsonl, qrels/<split>.tsv}`` (the layout of
BEIR's zips) wins; otherwise the ir_datasets id in ``DATASETS`` is loaded. Any other folder name
works locally too.

Conventions (beir-cellar/beir ``EvaluateRetrieval``): document text is title + " " + text;
nDCG@10 with linear gain (pytrec_eval) averaged over the queries present in the run; results
whose doc id equals the query id are dropped for ArguAna and Quora (``ignore_identical_ids``);
MS MARCO is scored on dev; CQADupStack is the mean of its 12 forums
(``beir/cqadupstack/<forum>``, grouped by ``family_members("cqadupstack")``); Touché-2020 is the
v2 qrels, as in BEIR's current zip. The family score (``family_members()``) is the mean over the
14 public zero-shot datasets (BEIR-14: all public ones except in-domain MS MARCO). Signal-1M,
TREC-NEWS, Robust04 and BioASQ are not redistributable: ir_datasets has no loader for them, so
they run only from a local BEIR folder you build yourself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.task import Task, load_local_or_online
from ir_harness.task_kinds import SPLIT_FOLDER_METRICS, read_split_folder

if TYPE_CHECKING:
    from ir_harness.data.model import TaskData

# The BEIR layout's reader (the ``JsonlRankingTask`` kind's), under the name the tasks know it by.
read_beir_folder = read_split_folder

SELF_HIT_DATASETS = {"arguana", "quora"}
CQADUPSTACK_FORUMS = (
    "android",
    "english",
    "gaming",
    "gis",
    "mathematica",
    "physics",
    "programmers",
    "stats",
    "tex",
    "unix",
    "webmasters",
    "wordpress",
)
# BEIR name -> (BEIR's evaluation split, ir_datasets id of that split).
DATASETS: dict[str, tuple[str, str]] = {
    "msmarco": ("dev", "beir/msmarco/dev"),
    "trec-covid": ("test", "beir/trec-covid"),
    "nfcorpus": ("test", "beir/nfcorpus/test"),
    "nq": ("test", "beir/nq"),
    "hotpotqa": ("test", "beir/hotpotqa/test"),
    "fiqa": ("test", "beir/fiqa/test"),
    "arguana": ("test", "beir/arguana"),
    "webis-touche2020": ("test", "beir/webis-touche2020/v2"),
    "quora": ("test", "beir/quora/test"),
    "dbpedia-entity": ("test", "beir/dbpedia-entity/test"),
    "scidocs": ("test", "beir/scidocs"),
    "fever": ("test", "beir/fever/test"),
    "climate-fever": ("test", "beir/climate-fever"),
    "scifact": ("test", "beir/scifact/test"),
    **{f"cqadupstack/{f}": ("test", f"beir/cqadupstack/{f}") for f in CQADUPSTACK_FORUMS},
}
# Other splits ir_datasets has: (name, split) -> id.
OTHER_SPLITS: dict[tuple[str, str], str] = {
    ("msmarco", "train"): "beir/msmarco/train",
    ("msmarco", "test"): "beir/msmarco/test",
    ("nfcorpus", "dev"): "beir/nfcorpus/dev",
    ("nfcorpus", "train"): "beir/nfcorpus/train",
    ("hotpotqa", "dev"): "beir/hotpotqa/dev",
    ("hotpotqa", "train"): "beir/hotpotqa/train",
    ("fiqa", "dev"): "beir/fiqa/dev",
    ("fiqa", "train"): "beir/fiqa/train",
    ("quora", "dev"): "beir/quora/dev",
    ("dbpedia-entity", "dev"): "beir/dbpedia-entity/dev",
    ("fever", "dev"): "beir/fever/dev",
    ("fever", "train"): "beir/fever/train",
    ("scifact", "train"): "beir/scifact/train",
}
# The BEIR-14 zero-shot average; cqadupstack counts once, as the mean of its forums.
PUBLIC = (
    "trec-covid",
    "nfcorpus",
    "nq",
    "hotpotqa",
    "fiqa",
    "arguana",
    "webis-touche2020",
    "cqadupstack",
    "quora",
    "dbpedia-entity",
    "scidocs",
    "fever",
    "climate-fever",
    "scifact",
)
# Not redistributable: local BEIR folders only.
RESTRICTED = ("bioasq", "signal1m", "trec-news", "robust04")
_SPLITS = ("test", "dev", "train")


def parse_name(subset: str) -> tuple[str, str]:
    """``"scifact"`` -> ``("scifact", "test")``; ``"fiqa/dev"`` -> ``("fiqa", "dev")``."""
    name, _, last = subset.rpartition("/")
    if name and last in _SPLITS:
        return name, last
    return subset, DATASETS[subset][0] if subset in DATASETS else "test"


def irds_id(name: str, split: str = "test") -> str | None:
    """The ir_datasets id of BEIR ``name`` on ``split``; None when ir_datasets has none."""
    if name in DATASETS and DATASETS[name][0] == split:
        return DATASETS[name][1]
    return OTHER_SPLITS.get((name, split))


def beir_spec(name: str, family: str, subset: str, split: str = "test") -> TaskSpec:
    """BEIR's scoring of dataset ``name`` on ``split``, under any family (``nfcorpus`` uses it
    too): nDCG@10 over the queries in the run, self-hits dropped for ArguAna and Quora, and the
    local qrels file or ir_datasets id it loads from."""
    online = irds_id(name, split)
    return TaskSpec(
        name=f"{family}/{subset}" if subset else family,
        family=family,
        subset=subset,
        split=split,
        description=f"BEIR {name} ({split})",
        metrics=SPLIT_FOLDER_METRICS,
        main_metric="ndcg@10",
        ignore_identical_ids=name.split("/")[0] in SELF_HIT_DATASETS,
        average_over="intersection",
        sources=(
            DataSourceSpec(kind="local", location=f"{name}/qrels/{split}.tsv"),
            *([DataSourceSpec(kind="ir_datasets", location=online)] if online else []),
        ),
    )


class BeirTask(Task):
    """Every BEIR dataset by its BEIR name, scored as BEIR's ``EvaluateRetrieval`` scores; the
    family score is the BEIR-14 zero-shot mean."""

    family: ClassVar[str] = "beir"
    description: ClassVar[str] = (
        "BEIR: beir/<name> (or beir/<name>/<split>) from <data>/<name>/ (BEIR layout) or "
        "ir_datasets; family = BEIR-14 mean, cqadupstack = mean of 12 forums"
    )

    @classmethod
    def dataset_subset(cls, subset: str) -> str:
        """Each collection (``scifact`` of ``scifact/test``) has query ids of its own."""
        return subset.split("/")[0]

    def subsets(self) -> list[str]:
        """Every named dataset, the restricted ones included (they run from a local folder only);
        a folder name not listed is accepted too."""
        return [*DATASETS, *RESTRICTED]

    def family_members(self, subset: str = "") -> list[str]:
        """Subsets whose mean is the score: BEIR-14 for the family, the 12 forums for cqadupstack.

        ``cqadupstack`` is itself a group: a family run expands it with
        ``family_members("cqadupstack")`` and averages its forums before the BEIR-14 mean. Any
        other subset is a single dataset: no members.
        """
        if subset == "cqadupstack":
            return [f"cqadupstack/{f}" for f in CQADUPSTACK_FORUMS]
        return [] if subset else list(PUBLIC)

    def spec(self, subset: str) -> TaskSpec:
        """BEIR's scoring of one dataset; ``beir`` alone and ``beir/cqadupstack`` are means, not
        tasks, so they are refused with what to run instead."""
        if not subset:
            raise ConfigError(
                "beir needs a dataset name: beir/<name>, e.g. beir/scifact "
                f"(`beir` alone is the BEIR-14 family: {', '.join(PUBLIC)})"
            )
        if subset == "cqadupstack":
            raise ConfigError(
                "beir/cqadupstack is the mean of its 12 forums: run the family or one forum, "
                f"beir/cqadupstack/<forum> with <forum> in {', '.join(CQADUPSTACK_FORUMS)}"
            )
        name, split = parse_name(subset)
        return beir_spec(name, self.family, subset, split)

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """Corpus, queries and qrels from ``<data>/<name>/`` (BEIR layout) when it is there, else
        ir_datasets; a dataset ir_datasets lacks fails saying why (restricted, or unknown)."""
        return self._load(subset, data_dir, corpus=True)

    def load_judgments(self, subset: str, data_dir: Path | None) -> TaskData:
        """Queries and qrels without the corpus (empty), for scoring an existing run.

        BEIR's quirks (self-hits) come from the spec, not the corpus. The online fallback
        loads everything: ir_datasets reads its corpus lazily anyway.
        """
        return self._load(subset, data_dir, corpus=False)

    def _load(self, subset: str, data_dir: Path | None, corpus: bool) -> TaskData:
        spec = self.spec(subset)
        name, split = parse_name(subset)
        online_id = irds_id(name, split)

        def online() -> TaskData:
            if online_id is None:
                why = (
                    "it is not redistributable: build its BEIR folder yourself"
                    if name in RESTRICTED
                    else "it has no such dataset"
                )
                raise ConfigError(f"ir_datasets has no id for beir {name!r} ({split}): {why}")
            from ir_harness.tasks._irds import load_irds

            return load_irds(online_id)

        return load_local_or_online(
            spec.name,
            data_dir,
            Path(name) / "qrels" / f"{split}.tsv",
            lambda root: read_beir_folder(root / name, split, corpus=corpus),
            online,
            f"ir_datasets {online_id or '(none)'!r}",
        )
