"""Training records and the "trained on these queries" mark."""

from __future__ import annotations

from ir_harness.protocols import SystemMeta
from ir_harness.store.training_record import (
    dataset_of,
    query_ids_hash,
    training_overlap,
    training_queries_record,
)


def stage(task: str, ids: list[str], keep_ids: bool = True) -> SystemMeta:
    rec = training_queries_record(task, "test", "mvp", ids)
    if not keep_ids:
        rec["query_ids"] = None
    return SystemMeta(name="mvp", parameters={"training": {"training_queries": rec}})


def test_overlap_counts_shared_ids_of_the_same_dataset_only() -> None:
    st = stage("trec-dl/2019/bm25-top100", ["19335", "47923", "87181"])
    mark = training_overlap([st], "trec-dl/2019", ["19335", "47923", "1000"])
    assert mark is not None and (mark["overlap"], mark["evaluated_queries"]) == (2, 3)
    assert mark["training_task"] == "trec-dl/2019/bm25-top100" and mark["stage"] == "mvp"
    assert training_overlap([st], "trec-dl/2020/bm25-top100", ["1000", "2000"]) is None
    # same ids in an unrelated dataset are not the same queries
    assert training_overlap([stage("demo", ["q1"])], "limit-small", ["q1"]) is None


def test_hash_alone_marks_an_identical_query_set() -> None:
    st = stage("nfcorpus/dev", ["a", "b"], keep_ids=False)
    assert training_overlap([st], "nfcorpus/dev", ["b", "a"])["overlap"] == 2  # type: ignore[index]
    assert training_overlap([st], "nfcorpus", ["c"]) is None


def test_untrained_stages_and_record_shape() -> None:
    assert training_overlap([SystemMeta(name="bm25")], "demo", ["q1"]) is None
    rec = training_queries_record("demo", "test", "infonce", ["q2", "q1", "q2"])
    assert rec["n_queries"] == 2 and rec["query_ids"] == ["q1", "q2"]
    assert rec["query_ids_hash"] == query_ids_hash(["q1", "q2"])
    assert dataset_of("beir/scifact") == "beir/scifact" and dataset_of("nfcorpus/dev") == "nfcorpus"
    assert dataset_of("trec-dl/2019[qrels=j.txt]") == "trec-dl"
