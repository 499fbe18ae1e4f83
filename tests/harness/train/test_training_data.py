"""Training data: examples from a task's qrels, negative mining, MS MARCO triples parsing, batching."""

from __future__ import annotations

import gzip
import random
from typing import TYPE_CHECKING

import pytest

from ir_harness.data.model import Corpus, Document, TaskData
from ir_harness.train.data import (
    examples_from_task,
    parse_triples,
    positives_from_qrels,
    read_triples_file,
)
from ir_harness.train.mining import _from_run, random_miner

if TYPE_CHECKING:
    from pathlib import Path


def _task() -> TaskData:
    corpus = Corpus(
        Document(f"d{i}", f"text {i}", title=f"T{i}" if i == 1 else "") for i in range(10)
    )
    return TaskData(
        corpus=corpus,
        queries={"q1": "first", "q2": "second", "q3": "no positives"},
        qrels={"q1": {"d1": 2, "d2": 1, "d3": 0, "ghost": 2}, "q2": {"d4": 1}, "q3": {"d5": 0}},
    )


def test_positives_use_threshold_and_skip_missing_docs() -> None:
    pos = positives_from_qrels(_task(), min_relevance=1)
    assert pos == {"q1": [("d1", 2), ("d2", 1)], "q2": [("d4", 1)]}
    assert positives_from_qrels(_task(), min_relevance=2) == {"q1": [("d1", 2)]}


def test_examples_with_random_negatives_avoid_judged_docs() -> None:
    data = _task()
    ex = examples_from_task(data, random_miner(data, 3, seed=1))
    assert [e.qid for e in ex] == ["q1", "q2"]
    e1 = ex[0]
    assert e1.positives == ["T1 text 1", "text 2"] and e1.grades == [2, 1]
    assert len(e1.negatives) == 3 and not {"d1", "d2", "d3"} & set(e1.negative_ids)
    assert ex == examples_from_task(data, random_miner(data, 3, seed=1))  # seeded


def test_mined_negatives_skip_judged_and_keep_rank_order() -> None:
    run = {"q": {"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.5}}
    assert _from_run(run, {"q": {"b"}}, 2, skip_top=0) == {"q": ["a", "c"]}
    assert _from_run(run, {"q": {"b"}}, 5, skip_top=1) == {"q": ["c", "d"]}


TRIPLES = (
    "what is a cat\tA cat is a small feline.\tCars have wheels.\n"
    "what is a cat\tA cat is a small feline.\tThe sea is large.\n"
    "capital of france\tParis is the capital of France.\tBerlin is in Germany.\n"
)


def test_parse_official_triples_format(tmp_path: Path) -> None:
    ex = list(parse_triples(TRIPLES.splitlines(keepends=True)))
    assert len(ex) == 2
    assert ex[0].query == "what is a cat" and ex[0].positives == ["A cat is a small feline."]
    assert ex[0].negatives == ["Cars have wheels.", "The sea is large."]
    assert ex[1].negatives == ["Berlin is in Germany."]
    p = tmp_path / "triples.train.small.tsv.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(TRIPLES)
    assert [e.query for e in read_triples_file(p)] == ["what is a cat", "capital of france"]
    assert len(read_triples_file(p, limit=1)) == 1


def test_bad_triples_line_names_the_line() -> None:
    from ir_harness.errors import DataFormatError

    with pytest.raises(DataFormatError, match="2"):
        list(parse_triples(["q\tp\tn\n", "only\ttwo\n"]))


def test_batches_are_seeded_and_cover_each_epoch() -> None:
    pytest.importorskip("torch")
    from ir_harness.train.loop import batch_indices, retrieval_batch

    b = batch_indices(5, 2, 6, seed=3)
    assert b == batch_indices(5, 2, 6, seed=3) and b != batch_indices(5, 2, 6, seed=4)
    assert sorted(i for x in b[:2] for i in x) != [] and all(len(x) == 2 for x in b)
    first_epoch = [i for x in b for i in x][:5]
    assert sorted(first_epoch) == [0, 1, 2, 3, 4]
    ex = examples_from_task(_task(), random_miner(_task(), 2))
    q, d, mask = retrieval_batch(ex, 1, random.Random(0))
    assert len(q) == 2 and len(d) == 4
    # each query's own positive sits on the diagonal; negatives are never positive
    assert mask[0, 0] and mask[1, 1] and not mask[:, 2:].any()
