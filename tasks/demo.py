"""An embedded LIMIT-style task generated in code, so the harness runs with no data at all.

Construction (LIMIT paper, arXiv 2508.21038): take ``n`` people; for every pair of them invent
an attribute only those two like, and ask "Who likes <attribute>?". Every pair of documents is
then the relevant set of exactly one query (C(n, 2) queries, 2 relevant each). Each person also
likes a few distractor attributes nobody is asked about. Deterministic for a given seed.
"""

from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING, ClassVar

from ir_harness.data.model import Corpus, Document, Qrels, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.task import Task

if TYPE_CHECKING:
    from pathlib import Path

_FIRST = [
    "Ada",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xenia",
]
_LAST = [
    "Abara",
    "Berg",
    "Castro",
    "Dunn",
    "Ekwueme",
    "Fontaine",
    "Gupta",
    "Holm",
    "Ito",
    "Jansen",
    "Kowal",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
]
_ONSET = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
_VOWEL = ["a", "e", "i", "o", "u"]


def _pseudo_words(rng: random.Random, n: int) -> list[str]:
    """Distinct three-syllable nonsense words: each attribute is one term no other shares."""
    syll = [c + v for c in _ONSET for v in _VOWEL]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.sample(syll, 3)).capitalize())
    return sorted(words)


def generate_limit_style(n_docs: int = 16, distractors: int = 6, seed: int = 0) -> TaskData:
    """A LIMIT-style task in memory: ``n_docs`` people (3-24), one query per pair of them,
    each person liking ``distractors`` attributes nobody asks about; one ``seed``, one task."""
    if not 3 <= n_docs <= 24:
        raise ConfigError(f"demo task: n_docs must be between 3 and 24, got {n_docs}")
    rng = random.Random(seed)
    people = [f"{f} {ln}" for f, ln in zip(rng.sample(_FIRST, n_docs), rng.sample(_LAST, n_docs))]
    pairs = list(itertools.combinations(range(n_docs), 2))
    attrs = _pseudo_words(rng, len(pairs) + n_docs * distractors)
    rng.shuffle(attrs)
    asked, spare = attrs[: len(pairs)], attrs[len(pairs) :]
    likes: list[list[str]] = [[] for _ in people]
    queries: dict[str, str] = {}
    qrels: Qrels = {}
    for qi, ((a, b), attr) in enumerate(zip(pairs, asked)):
        likes[a].append(attr)
        likes[b].append(attr)
        queries[f"query_{qi}"] = f"Who likes {attr}?"
        qrels[f"query_{qi}"] = {people[a]: 1, people[b]: 1}
    for i in range(n_docs):
        likes[i].extend(rng.sample(spare, distractors))
        rng.shuffle(likes[i])
    corpus = Corpus(Document(p, f"{p} likes {', '.join(ls)}.") for p, ls in zip(people, likes))
    return TaskData(
        corpus=corpus,
        queries=queries,
        qrels=qrels,
        source=f"generated (n_docs={n_docs}, seed={seed})",
    )


class DemoTask(Task):
    """The task that needs no data and no network: a small LIMIT-style set generated on each
    load, for a first run and for tests."""

    family: ClassVar[str] = "demo"
    description: ClassVar[str] = (
        "embedded LIMIT-style task generated in code (needs no data); recall@2 main"
    )

    def subsets(self) -> list[str]:
        """A single task, ``demo`` (the empty subset)."""
        return [""]

    def spec(self, subset: str) -> TaskSpec:
        """Recall@2 main, as LIMIT's: every query has exactly two relevant documents."""
        return TaskSpec(
            name="demo",
            family=self.family,
            description=self.description,
            metrics=("recall@2", "recall@10", "ndcg@10"),
            main_metric="recall@2",
            average_over="intersection",
            run_depth=100,
            sources=(
                DataSourceSpec(
                    kind="generated", location="ir_harness.tasks.demo.generate_limit_style"
                ),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The default generated set (16 people, seed 0); ``data_dir`` is not read."""
        return generate_limit_style()
