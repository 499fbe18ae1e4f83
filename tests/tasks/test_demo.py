"""The embedded LIMIT-style task follows the paper's construction."""

from __future__ import annotations

import itertools

import pytest

from ir_harness.errors import ConfigError
from ir_harness.tasks.demo import generate_limit_style


def test_every_pair_of_documents_is_some_querys_relevant_set() -> None:
    d = generate_limit_style(n_docs=8, distractors=3, seed=1)
    assert len(d.corpus) == 8 and len(d.queries) == 28
    pairs = {frozenset(r) for r in d.qrels.values()}
    assert pairs == {frozenset(p) for p in itertools.combinations(d.corpus.ids(), 2)}
    for qid, rel in d.qrels.items():
        attr = d.queries[qid].removeprefix("Who likes ").removesuffix("?")
        likers = {
            i
            for i, doc in d.corpus.items()
            if f" {attr}," in doc.text
            or doc.text.endswith(f" {attr}.")
            or f"likes {attr}," in doc.text
        }
        assert likers == set(rel)


def test_deterministic_and_validated() -> None:
    assert generate_limit_style(seed=3).queries == generate_limit_style(seed=3).queries
    assert (
        generate_limit_style(seed=3).corpus.content_hash
        != generate_limit_style(seed=4).corpus.content_hash
    )
    with pytest.raises(ConfigError):
        generate_limit_style(n_docs=40)
