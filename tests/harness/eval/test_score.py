"""``ir_harness.score``: one function for every input form, giving the same bits for each."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

import ir_harness
from ir_harness.data.spec import TaskSpec
from ir_harness.errors import ConfigError, HarnessError
from ir_harness.eval.metrics import evaluate

if TYPE_CHECKING:
    from pathlib import Path

RUN_TEXT = """\
1 Q0 a 1 3.0 r
1 Q0 b 2 2.0 r
1 Q0 c 3 2.0 r
1 Q0 x 4 1.0 r
2 Q0 b 1 5.0 r
2 Q0 d 2 4.0 r
9 Q0 a 1 1.0 r
"""
QRELS_TEXT = """\
1 0 a 2
1 0 c 1
1 0 z 1
2 0 d 0
2 0 b -1
3 0 a 1
"""
RUN = {
    "1": {"a": 3.0, "b": 2.0, "c": 2.0, "x": 1.0},
    "2": {"b": 5.0, "d": 4.0},
    "9": {"a": 1.0},
}
QRELS = {"1": {"a": 2, "c": 1, "z": 1}, "2": {"d": 0, "b": -1}, "3": {"a": 1}}
MEASURES = ["nDCG@10", "AP", "P@2", "recall.100", "Judged@2", "RR", "bpref", "set_F"]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    run, qrels = tmp_path / "run.trec", tmp_path / "qrels.txt"
    run.write_text(RUN_TEXT)
    qrels.write_text(QRELS_TEXT)
    return run, qrels


def test_golden_values_by_hand() -> None:
    got = ir_harness.score(RUN, QRELS, ["P@2", "AP", "Judged@2", "RR"])
    # query 1: a (2), c (1, ties with b; doc id desc puts c first), b, x; R = 3
    # query 2: nothing relevant; query 3: unanswered; query 9: unjudged, never counts
    assert got["precision@2"] == pytest.approx((2 / 2 + 0 + 0) / 3)
    assert got["map"] == pytest.approx(((1 / 1 + 2 / 2) / 3) / 3)
    assert got["judged@2"] == pytest.approx((1 + 1 + 0) / 3)
    assert got["mrr"] == pytest.approx(1 / 3)
    assert all(type(v) is float for v in got.values())


def test_every_input_form_gives_the_same_bits(files: tuple[Path, Path]) -> None:
    pd = pytest.importorskip("pandas")
    run_file, qrels_file = files
    want = ir_harness.score(RUN, QRELS, MEASURES, per_query=True)
    run_df = pd.DataFrame(
        [(q, d, s) for q, docs in RUN.items() for d, s in docs.items()],
        columns=["query_id", "doc_id", "score"],
    )
    qrels_df = pd.DataFrame(
        [(q, d, g) for q, docs in QRELS.items() for d, g in docs.items()],
        columns=["q_id", "doc_id", "relevance"],
    )
    forms = [
        (run_file, qrels_file),
        (str(run_file), str(qrels_file)),
        (run_df, qrels_df),
        (run_df.rename(columns={"query_id": "q_id"}), QRELS),
    ]
    for run, qrels in forms:
        assert ir_harness.score(run, qrels, MEASURES, per_query=True) == want


def test_ranx_objects(files: tuple[Path, Path]) -> None:
    ranx = pytest.importorskip("ranx")
    want = ir_harness.score(RUN, QRELS, MEASURES)
    qrels = ranx.Qrels({q: {d: g for d, g in docs.items() if g >= 0} for q, docs in QRELS.items()})
    got = ir_harness.score(ranx.Run(RUN), qrels, MEASURES)
    # ranx's Qrels drops negative judgments: only Judged@2 can see the difference
    assert {k: v for k, v in got.items() if k != "judged@2"} == {
        k: v for k, v in want.items() if k != "judged@2"
    }


def test_same_bits_as_the_task_path() -> None:
    spec = TaskSpec(name="t", family="t", metrics=("ndcg@10", "map", "recall@100"),
                    main_metric="ndcg@10", relevance_threshold=2, average_over="intersection")  # fmt: skip
    ev = evaluate(RUN, QRELS, spec, depth=None)
    assert ir_harness.score(RUN, QRELS, list(spec.metrics), spec=spec) == ev.means
    assert (
        ir_harness.score(RUN, QRELS, ["ndcg@10"], relevance_threshold=2)["ndcg@10"]
        != (
            ev.means["ndcg@10"]  # averaging over the qrels (the default) counts query 3 as 0
        )
    )


def test_conventions_threshold_average_depth() -> None:
    base = ir_harness.score(RUN, QRELS, ["AP"])["map"]
    assert ir_harness.score(RUN, QRELS, ["AP(rel=2)"])["map(rel=2)"] == pytest.approx(1 / 3)
    assert ir_harness.score(RUN, QRELS, ["AP"], relevance_threshold=2)["map"] == pytest.approx(
        1 / 3
    )
    inter = ir_harness.score(RUN, QRELS, ["AP"], average_over="intersection")["map"]
    assert inter == pytest.approx(base * 3 / 2)
    assert ir_harness.score(RUN, QRELS, ["P@2"], depth=1)["precision@2"] == pytest.approx(1 / 6)


def test_per_query_shape_and_missing_queries() -> None:
    pq = ir_harness.score(RUN, QRELS, ["nDCG@10", "RBP(p=0.5)"], per_query=True)
    assert set(pq) == {"ndcg@10", "rbp(p=0.5)", "rbp_residual(p=0.5)"}
    assert set(pq["ndcg@10"]) == {"1", "2", "3"}
    assert pq["ndcg@10"]["3"] == 0.0 and pq["rbp_residual(p=0.5)"]["3"] == 1.0
    assert not math.isnan(pq["ndcg@10"]["2"])


@pytest.mark.parametrize(
    ("run", "qrels", "match"),
    [
        ({"1": [1, 2]}, QRELS, "run query '1': expected"),
        (RUN, {"1": {"a": 1.5}}, "grade 1.5 is not an integer"),
        (RUN, {"1": {"a": "high"}}, "grade 'high' is not a number"),
        ({"1": {"a": "x"}}, QRELS, "score 'x' is not a number"),
        (42, QRELS, "run of type int"),
        (RUN, [1], "qrels of type list"),
    ],
)
def test_bad_input_is_a_clear_error(run: object, qrels: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ir_harness.score(run, qrels, ["map"])


def test_bad_frames_and_measures() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"qid": ["1"], "document": ["a"], "score": [1.0]})
    with pytest.raises(ConfigError, match="no document id column .*doc_id"):
        ir_harness.score(frame, QRELS, ["map"])
    dup = pd.DataFrame({"qid": ["1", "1"], "doc_id": ["a", "a"], "score": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="document 'a' appears twice for query '1'"):
        ir_harness.score(dup, QRELS, ["map"])
    with pytest.raises(HarnessError, match="unknown metric 'bleu'"):
        ir_harness.score(RUN, QRELS, ["bleu"])
    with pytest.raises(ConfigError, match="no measures"):
        ir_harness.score(RUN, QRELS, [])
