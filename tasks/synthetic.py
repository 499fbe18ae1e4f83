"""A generated retrieval task of any size, ``synthetic/<N>``, for scale tests and benchmarks.

N passages of Zipf-distributed pseudo-words (exponent 1.0 over a 50,000-word vocabulary) with
log-normal lengths (median 50 words, clipped to 8..300, close to MS MARCO passages' ~56 words on
average); 1,000 queries (fewer when N is small), each made of the four rarest words of one
passage, which is its single relevant document. Deterministic for a given N and seed; passages are
generated block by block straight into the on-disk corpus store
(:mod:`ir_harness.corpus.store`), so N = 10M needs no more memory than N = 10k.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ir_harness.corpus.store import open_or_build
from ir_harness.data.model import Document, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError
from ir_harness.run.context import default_cache_dir
from ir_harness.task import Task

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ir_harness.corpus.store import StoredCorpus

VOCAB = 50_000
BLOCK = 10_000
N_QUERIES = 1000
QUERY_WORDS = 4
_ONSET = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
_VOWEL = ["a", "e", "i", "o", "u"]
_SIZE = re.compile(r"^(\d+)([kKmM]?)$")


def parse_size(subset: str) -> int:
    """``"1000000"``, ``"100k"`` or ``"1M"`` -> passages."""
    m = _SIZE.match(subset.strip())
    if not m or int(m.group(1)) == 0:
        raise ConfigError(
            f"synthetic/{subset}: expected a positive passage count such as synthetic/100000 "
            "or synthetic/1M"
        )
    return int(m.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()]


def vocabulary(seed: int = 0) -> list[str]:
    """Distinct pseudo-words, most frequent first (rank 0 is the commonest)."""
    rng = random.Random(seed)
    syll = [c + v for c in _ONSET for v in _VOWEL]
    words: set[str] = set()
    out: list[str] = []
    while len(out) < VOCAB:
        w = "".join(rng.choice(syll) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if w not in words:
            words.add(w)
            out.append(w)
    return out


def passages(n: int, seed: int = 0) -> Iterator[Document]:
    """Passages ``p0 .. p{n-1}``; block ``b`` draws from its own seeded generator."""
    vocab = np.array(vocabulary(seed), dtype=object)
    cdf = np.cumsum(1.0 / np.arange(1, VOCAB + 1))
    cdf /= cdf[-1]
    for b0 in range(0, n, BLOCK):
        rng = np.random.default_rng([seed, b0 // BLOCK])
        m = min(BLOCK, n - b0)
        # Whole-block draws, then a prefix: passage i is the same for every N > i.
        lengths = np.clip(np.rint(rng.lognormal(np.log(50.0), 0.5, BLOCK)), 8, 300)
        lengths = lengths.astype(np.int64)[:m]
        ranks = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), VOCAB - 1)
        words = vocab[ranks].tolist()
        ends = np.cumsum(lengths).tolist()
        start = 0
        for i, end in enumerate(ends):
            yield Document(f"p{b0 + i}", " ".join(words[start:end]))
            start = end


def make_queries(
    corpus: StoredCorpus, n: int, seed: int, count: int = N_QUERIES
) -> tuple[dict[str, str], dict]:
    """One query per sampled passage: its four rarest distinct words, in passage order.
    ``count`` other than the task's 1,000 serves benchmarks (MS MARCO dev has 6,980)."""
    rank = {w: i for i, w in enumerate(vocabulary(seed))}
    rng = np.random.default_rng([seed, 1 << 20])
    targets = np.sort(rng.choice(n, size=min(count, n), replace=False))
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for qi, row in enumerate(targets.tolist()):
        doc_id = f"p{row}"
        words = list(dict.fromkeys(corpus[doc_id].text.split()))
        rare = set(sorted(words, key=lambda w: -rank[w])[:QUERY_WORDS])
        queries[f"q{qi}"] = " ".join(w for w in words if w in rare)
        qrels[f"q{qi}"] = {doc_id: 1}
    return queries, qrels


def load_synthetic(n: int, seed: int = 0, root: Path | None = None) -> TaskData:
    """``n`` generated passages with their known-item queries; the corpus is built once into the
    on-disk store under ``root`` (default: the cache) and reopened on every later load."""
    root = root or default_cache_dir()
    corpus = open_or_build(
        root,
        f"synthetic:v1:n={n}:seed={seed}",
        lambda: passages(n, seed),
        source=f"generated synthetic (n={n}, seed={seed})",
    )
    queries, qrels = make_queries(corpus, n, seed)
    return TaskData(
        corpus=corpus, queries=queries, qrels=qrels, source=f"generated (n={n}, seed={seed})"
    )


class SyntheticTask(Task):
    """Retrieval at any corpus size with no download (``synthetic/<N>``), to test how the corpus
    store, corpus embedding cache and top-k kernels scale."""

    family: ClassVar[str] = "synthetic"
    description: ClassVar[str] = (
        "generated corpus of N passages (synthetic/<N>, e.g. synthetic/1M) with 1,000 "
        "known-item queries, stored on disk; for scale tests; ndcg@10 main"
    )

    def subsets(self) -> list[str]:
        """None listed: every size is a subset (``example_spec`` stands in for ``harness list``)."""
        return []

    def spec(self, subset: str) -> TaskSpec:
        """The same metrics at every size; the name holds the parsed count, so ``100k`` and
        ``100000`` share results. An empty subset means 10,000 passages."""
        n = parse_size(subset or "10000")
        return TaskSpec(
            name=f"synthetic/{n}",
            family=self.family,
            subset=str(n),
            description=self.description,
            metrics=("ndcg@10", "recall@10", "recall@100", "mrr@10"),
            main_metric="ndcg@10",
            run_depth=100,
            sources=(
                DataSourceSpec(kind="generated", location="ir_harness.tasks.synthetic.passages"),
            ),
        )

    def example_spec(self) -> TaskSpec:
        """What ``harness list`` shows for this family of free-form sizes."""
        return self.spec("10000")

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The corpus of ``subset``'s size from the cache (generated on first use); ``data_dir`` is
        not read."""
        return load_synthetic(parse_size(subset or "10000"))
