"""LIMIT (full) and LIMIT-small: specs, MTEB-row conversion, the missing-corpus error."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from ir_harness.errors import ConfigError, DataNotFoundError
from ir_harness.tasks.limit import LimitSmallTask, LimitTask, from_mteb_rows

if TYPE_CHECKING:
    from pathlib import Path


def test_limit_spec_conventions() -> None:
    spec = LimitTask().spec("")
    assert spec.name == "limit" and spec.main_metric == "recall@2"
    assert {"recall@10", "recall@100"} <= set(spec.metrics)
    assert [s.location for s in spec.sources] == ["limit/corpus.jsonl", "orionweller/LIMIT"]
    with pytest.raises(ConfigError):
        LimitTask().spec("small")
    assert LimitSmallTask().spec("").name == "limit-small"


def test_from_mteb_rows_inline() -> None:
    d = from_mteb_rows(
        [{"_id": "Ann Lee", "title": "", "text": "Ann Lee likes Tea."}],
        [{"_id": "query_0", "text": "Who likes Tea?"}],
        [{"query-id": "query_0", "corpus-id": "Ann Lee", "score": 1}],
        source="inline",
    )
    assert d.qrels == {"query_0": {"Ann Lee": 1}}
    assert d.corpus["Ann Lee"].full_text == "Ann Lee likes Tea."


def test_local_folder_with_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "limit"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        json.dumps({"_id": "Ann Lee", "title": "", "text": "Ann Lee likes Tea."}) + "\n"
    )
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q0", "text": "Who likes Tea?"}))
    (folder / "qrels.jsonl").write_text(
        json.dumps({"query-id": "q0", "corpus-id": "Ann Lee", "score": 1})
    )
    d = LimitTask().load("", tmp_path)
    assert d.queries == {"q0": "Who likes Tea?"} and list(d.corpus) == ["Ann Lee"]


@pytest.mark.shared_data
def test_shared_data_has_no_corpus_and_the_error_says_so(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ir_harness.data.hub

    def offline(hf_id: str, split: str = "test") -> None:
        raise ConnectionError(f"cannot reach {hf_id}")

    monkeypatch.setattr(ir_harness.data.hub, "load_hub_ranking", offline)
    assert (shared_data / "limit/queries.jsonl").exists()
    with pytest.raises(DataNotFoundError) as e:
        LimitTask().load("", shared_data)
    msg = str(e.value)
    assert "limit/corpus.jsonl does not exist" in msg
    assert "50,000-document corpus is distributed only there" in msg
    assert "orionweller/LIMIT" in msg
