"""Training examples: (query, positives, negatives) from any harness task or MS MARCO triples,
and scored sentence pairs for STS fine-tuning.

Positives come from the task's qrels (grade >= ``min_relevance``); negatives come from
``ir_harness.train.mining`` (random, BM25 or the current model). Nothing here touches torch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ir_harness.data.formats import open_text, tab_rows
from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from ir_harness.data.model import TaskData


@dataclass
class TrainExample:
    """One query with graded positives and mined negatives (texts, ids kept for masking)."""

    qid: str
    query: str
    positives: list[str]
    positive_ids: list[str] = field(default_factory=list)
    grades: list[int] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)
    negative_ids: list[str] = field(default_factory=list)


@dataclass
class STSExample:
    """A scored sentence pair, the training unit of STS fine-tuning."""

    sentence1: str
    sentence2: str
    score: float


def positives_from_qrels(
    data: TaskData, min_relevance: int = 1
) -> dict[str, list[tuple[str, int]]]:
    """query id -> [(doc id, grade)] for judged docs at or above the threshold that exist in
    the corpus, highest grade first (ties by id, so the order is reproducible)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for q, docs in data.qrels.items():
        if q not in data.queries:
            continue
        pos = [(d, g) for d, g in docs.items() if g >= min_relevance and d in data.corpus]
        if pos:
            out[q] = sorted(pos, key=lambda dg: (-dg[1], dg[0]))
    return out


def examples_from_task(
    data: TaskData,
    negatives: Callable[[list[str], dict[str, set[str]]], dict[str, list[str]]] | None = None,
    min_relevance: int = 1,
    max_queries: int | None = None,
    max_positives: int = 16,
    seed: int = 0,
) -> list[TrainExample]:
    """Build examples from a task's qrels; ``negatives(qids, judged_positive)`` returns doc ids
    per query (see ``mining``); without it examples carry no negatives (in-batch only)."""
    pos = positives_from_qrels(data, min_relevance)
    qids = sorted(pos)
    if max_queries:
        rng = random.Random(seed)
        qids = sorted(rng.sample(qids, min(max_queries, len(qids))))
    if not qids:
        raise ConfigError(
            f"no training queries: no qrels with grade >= {min_relevance} point into the corpus"
        )
    judged = {q: set(data.qrels.get(q, {})) for q in qids}
    neg = negatives(qids, judged) if negatives else {}
    out = []
    for q in qids:
        p = pos[q][:max_positives]
        nids = neg.get(q, [])
        out.append(
            TrainExample(
                qid=q,
                query=data.queries[q],
                positives=[data.corpus[d].full_text for d, _ in p],
                positive_ids=[d for d, _ in p],
                grades=[g for _, g in p],
                negatives=[data.corpus[d].full_text for d in nids],
                negative_ids=list(nids),
            )
        )
    return out


# ---------------------------------------------------------------- MS MARCO training triples
def parse_triples(lines: Iterable[str], source: str = "<triples>") -> Iterable[TrainExample]:
    """MS MARCO's official ``triples.train.small.tsv``: ``query<TAB>positive<TAB>negative``.

    Consecutive lines with the same query are merged into one example (one positive, several
    negatives), as the official file lists a query's negatives one line each.
    """
    current: TrainExample | None = None
    for n, (q, p, neg) in tab_rows(lines, source, 3, "query<TAB>positive<TAB>negative"):
        if current is not None and current.query == q and current.positives[0] == p:
            current.negatives.append(neg)
            continue
        if current is not None:
            yield current
        current = TrainExample(qid=f"t{n}", query=q, positives=[p], grades=[1], negatives=[neg])
    if current is not None:
        yield current


def read_triples_file(path: Path, limit: int | None = None) -> list[TrainExample]:
    """Read up to ``limit`` examples from a local triples file (plain or .gz)."""
    out: list[TrainExample] = []
    with open_text(path) as f:
        for ex in parse_triples(f, str(path)):
            out.append(ex)
            if limit and len(out) >= limit:
                break
    return out


def msmarco_triples_online(
    limit: int, dataset: str = "msmarco-passage/train/triples-small"
) -> list[TrainExample]:
    """Training triples through ir_datasets (downloads on first use; needs the network)."""
    try:
        import ir_datasets
    except ImportError as e:
        raise ConfigError(
            "MS MARCO triples need ir_datasets: pip install 'ir-harness[datasets]'"
        ) from e
    ds = ir_datasets.load(dataset)
    queries = {q.query_id: q.text for q in ds.queries_iter()}
    store = ds.docs_store()

    def lines() -> Iterable[str]:
        for i, t in enumerate(ds.docpairs_iter()):
            yield "\t".join(
                (
                    queries[t.query_id],
                    store.get(t.doc_id_a).text,
                    store.get(t.doc_id_b).text,
                )
            )
            if i > limit * 4:
                return

    out: list[TrainExample] = []
    for ex in parse_triples(lines(), dataset):
        out.append(ex)
        if len(out) >= limit:
            break
    return out


# ---------------------------------------------------------------- STS pairs (Starbucks)
def read_sts_pairs(path: Path) -> list[STSExample]:
    """STS-B style CSV (``sentence1,sentence2,score``) through the task's own reader."""
    from ir_harness.data.sts import read_sts_file

    pairs, _ = read_sts_file(path)
    return [STSExample(p.sentence1, p.sentence2, p.score) for p in pairs]
