"""Model output checked at the boundary: count, shape, type, width and finiteness, each failure a
clear error naming the system and the batch, and nothing stored from a bad batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from ir_harness.data.model import Corpus, Document
from ir_harness.errors import ModelOutputError
from ir_harness.run.context import RunContext
from ir_harness.run.model_output import check_run, check_scores, check_vectors
from tests.probe.plugins import BadDense, BadEncoder, BadScorer, BadStoreEncoder

if TYPE_CHECKING:
    from pathlib import Path

GOOD = np.ones((3, 4), np.float32)
VECTORS: dict[str, tuple[Any, str]] = {
    "fewer": (GOOD[:2], "2 vectors for 3 texts"),
    "more": (np.ones((4, 4)), "4 vectors for 3 texts"),
    "one-d": (GOOD[:, 0], r"shape \(3,\)"),
    "three-d": (np.ones((3, 4, 1)), r"shape \(3, 4, 1\)"),
    "none": (None, "returned None"),
    "string": ("abc", "returned a str"),
    "strings": (["a", "b", "c"], "type <U1"),
    "objects": (np.array([{}, {}, {}]), "type object"),
    "bools": (np.ones((3, 4), bool), "type bool"),
    "ragged": ([[1.0], [1.0, 2.0], [1.0]], "unequal lengths"),
    "zero-width": (np.ones((3, 0)), "dimension 0"),
    "nan": (np.where(np.eye(3, 4) == 1, np.nan, 1.0), "3 of 3 vectors hold NaN"),
    "posinf": (np.array([[1.0] * 4, [np.inf] * 4, [1.0] * 4]), "first: text 1"),
    "float32-overflow": (np.full((3, 4), 1e300), "3 of 3 vectors hold NaN or infinite"),
}


@pytest.mark.parametrize("out,message", VECTORS.values(), ids=VECTORS.keys())
def test_bad_vectors(out: Any, message: str) -> None:
    with pytest.raises(ModelOutputError, match=message) as e:
        check_vectors(out, 3, "toy", "batch 7")
    assert str(e.value).startswith("system 'toy', batch 7: ")


def test_good_vectors_and_width() -> None:
    got = check_vectors(np.arange(12, dtype=np.int64).reshape(3, 4), 3, "toy", "b")
    assert got.dtype == np.float32 and got.shape == (3, 4)
    with pytest.raises(ModelOutputError, match="dimension 4, earlier ones had 5"):
        check_vectors(GOOD, 3, "toy", "b", dim=5)
    assert check_vectors(None, 0, "toy", "b", dim=5).shape == (0, 5)  # nothing asked, nothing used


def test_scores_and_runs() -> None:
    assert check_scores([1, 2.5], 2, "r", "q") == [1.0, 2.5]
    for out, msg in (
        ([1.0], r"shape \(1,\) for 2"),
        (None, "None"),
        (["x", "y"], "type <U1"),
        ([float("nan"), 1.0], "1 of 2 scores are NaN"),
        ([1.0, float("inf")], "first: document 1"),
    ):
        with pytest.raises(ModelOutputError, match=msg):
            check_scores(out, 2, "r", "q")
    check_run({"q": {"d": np.float32(1.0), "e": 2}}, "s", "b")
    for run, msg in (
        ({"q": {"d": float("nan")}}, "'d' has score nan"),
        ({"q": {"d": float("-inf")}}, "score -inf"),
        ({"q": {"d": "1.0"}}, "score '1.0'"),
        ({"q": {"d": True}}, "score True"),
        ({"q": None}, "has None"),
        ([], "returned list"),
        ({"q": {1.5: 1.0}}, "document id 1.5 is a float, expected a string"),
        ({None: {"d": 1.0}}, "query id None is a NoneType"),
        ({"q": {1: 1.0, "1": 2.0}}, "document id '1' is given twice"),
        ({7: {"d": 1.0}, "7": {"d": 2.0}}, "query id '7' is given twice"),
    ):
        with pytest.raises(ModelOutputError, match=msg):
            check_run(run, "s", "b")
    assert check_run({7: {np.int64(1): 1.0}}, "s", "b") == {"7": {"1": 1.0}}


CORPUS = Corpus(Document(f"d{i}", f"word{i} common text {i}") for i in range(5))
QUERIES = {"q1": "word1 common", "q2": "word3"}


@pytest.mark.parametrize("bad", ["fewer", "oned", "none", "str", "ragged", "dims", "nan", "posinf"])
@pytest.mark.parametrize("system", [BadEncoder, BadStoreEncoder, BadDense])
def test_systems_refuse_bad_output(
    system: Any, bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = RunContext(cache_dir=tmp_path, progress=False)
    good = system()
    good.index(CORPUS, ctx)
    want = good.search(QUERIES, 3, ctx)
    fresh_ctx = RunContext(cache_dir=tmp_path / "fresh", progress=False)
    monkeypatch.setenv("PROBE_BAD", bad)
    s = system()
    with pytest.raises(ModelOutputError, match=r"^system '(badenc|badstore|dense)', "):
        s.index(CORPUS, fresh_ctx)
        s.search(QUERIES, 3, fresh_ctx)
    # Nothing a bad batch returned was kept: the same cache, with a good model, scores as before.
    monkeypatch.delenv("PROBE_BAD")
    again = system()
    again.index(CORPUS, fresh_ctx)
    assert again.search(QUERIES, 3, fresh_ctx) == want


def test_rerank_checks_both_sides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ctx = RunContext(cache_dir=tmp_path, progress=False)
    monkeypatch.setenv("PROBE_BAD", "dims")
    with pytest.raises(ModelOutputError, match="encoding 2 documents: .*dimension 8, earlier ones"):
        BadEncoder().rerank(QUERIES, CORPUS, {"q1": {"d1": 1.0, "d2": 0.5}}, ctx)


def test_scoring_reranker_checks_scores(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ctx = RunContext(cache_dir=tmp_path, progress=False)
    cands = {"q1": {"d1": 1.0, "d2": 0.5}}
    assert set(BadScorer().rerank(QUERIES, CORPUS, cands, ctx)["q1"]) == {"d1", "d2"}
    monkeypatch.setenv("PROBE_BAD", "nan")
    with pytest.raises(ModelOutputError, match=r"system 'badscore', query 'q1' \(2 candidates\)"):
        BadScorer().rerank(QUERIES, CORPUS, cands, ctx)
