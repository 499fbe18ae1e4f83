"""Task kinds: a ranking task declared by folder, online source and conventions; its spec's
sources and its loader come from those same attributes (golden tests on tiny inline files)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

import pytest

from ir_harness.errors import ConfigError, DataNotFoundError
from ir_harness.task_kinds import HubRankingTask, JsonlRankingTask

if TYPE_CHECKING:
    from pathlib import Path


class Split(JsonlRankingTask):
    family: ClassVar[str] = "kind-split"
    description: ClassVar[str] = "a BEIR-layout folder"
    folder: ClassVar[str] = "kind-split"
    online: ClassVar[str | None] = "beir/none"
    split: ClassVar[str] = "dev"


class Hub(HubRankingTask):
    family: ClassVar[str] = "kind-hub"
    description: ClassVar[str] = "an MTEB-layout folder"
    folder: ClassVar[str] = "kind-hub"
    online: ClassVar[str | None] = "someone/none"
    online_hint: ClassVar[str] = "(put the files in <data>/kind-hub/)"
    metrics: ClassVar[tuple[str, ...]] = ("recall@2",)
    main_metric: ClassVar[str] = "recall@2"


def _jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _split_folder(root: Path) -> Path:
    folder = root / "kind-split"
    (folder / "qrels").mkdir(parents=True)
    _jsonl(folder / "corpus.jsonl", [{"_id": "d1", "title": "T", "text": "x"}])
    _jsonl(folder / "queries.jsonl", [{"_id": "q1", "text": "a"}, {"_id": "q2", "text": "b"}])
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\n")
    return folder


def test_the_split_kinds_spec_names_the_file_its_loader_reads_and_scores_as_beir(
    tmp_path: Path,
) -> None:
    spec = Split().spec("")
    assert [(s.kind, s.location) for s in spec.sources] == [
        ("local", "kind-split/qrels/dev.tsv"),
        ("ir_datasets", "beir/none"),
    ]
    assert spec.split == "dev" and spec.main_metric == "ndcg@10"
    assert spec.average_over == "intersection" and "recall@1000" in spec.metrics
    folder = _split_folder(tmp_path)
    data = Split().load("", tmp_path)
    assert data.queries == {"q1": "a"}  # the unjudged q2 is dropped
    assert data.qrels == {"q1": {"d1": 2}} and data.source == str(folder)
    assert len(data.corpus) == 1
    judged = Split().load_judgments("", tmp_path)
    assert judged.qrels == data.qrels and len(judged.corpus) == 0  # no corpus to score a run


def test_a_missing_folder_falls_back_to_the_online_source_and_both_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ir_harness.data.hub

    def offline(hf_id: str, split: str = "test") -> None:
        raise ConnectionError(f"no network for {hf_id}")

    monkeypatch.setattr(ir_harness.data.hub, "load_hub_ranking", offline)
    with pytest.raises(DataNotFoundError) as e:
        Hub().load("", tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "kind-hub" / "qrels.jsonl") in msg
    assert "HF datasets 'someone/none' (put the files in <data>/kind-hub/)" in msg
    assert "no network for someone/none" in msg


def test_the_hub_kind_reads_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "kind-hub"
    folder.mkdir()
    _jsonl(folder / "corpus.jsonl", [{"_id": "d1", "text": "x"}])
    _jsonl(folder / "queries.jsonl", [{"_id": "q1", "text": "a"}])
    _jsonl(folder / "qrels.jsonl", [{"query-id": "q1", "corpus-id": "d1", "score": 1}])
    data = Hub().load("", tmp_path)
    assert data.qrels == {"q1": {"d1": 1}} and data.queries == {"q1": "a"}
    assert [(s.kind, s.location) for s in Hub().spec("").sources] == [
        ("local", "kind-hub/qrels.jsonl"),
        ("hf", "someone/none"),
    ]


def test_a_single_task_refuses_a_subset() -> None:
    with pytest.raises(ConfigError, match="kind-hub/x: kind-hub has no subsets"):
        Hub().spec("x")
