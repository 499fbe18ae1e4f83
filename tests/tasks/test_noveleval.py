"""NovelEval: local folder and the GitHub-raw online loader (exercised through file:// URLs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.tasks.noveleval import NovelEvalTask

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.shared_data
def test_shared_noveleval(shared_data: Path) -> None:
    data = NovelEvalTask().load("", shared_data)
    assert len(data.queries) == 21 and len(data.corpus) == 420
    assert sum(len(v) for v in data.qrels.values()) == 420


def test_online_loader_parses_official_files(tmp_path: Path) -> None:
    src = tmp_path / "upstream"
    src.mkdir()
    (src / "corpus.tsv").write_text("0-0\tSpider-Verse passage\n0-1\tother\n")
    (src / "queries.tsv").write_text("0\tHow many Spider-Men?\n")
    (src / "qrels.txt").write_text("0 Q0 0-0 2\n0 Q0 0-1 0\n")
    data = NovelEvalTask().fetch(base=src.as_uri(), dest=tmp_path / "cache")
    assert data.qrels == {"0": {"0-0": 2, "0-1": 0}}
    assert (tmp_path / "cache" / "corpus.tsv").exists()


def test_spec_and_loader_come_from_one_declaration(tmp_path: Path) -> None:
    """The local source the spec names is the file the loader reads."""
    spec = NovelEvalTask().spec("")
    assert [s.location for s in spec.sources] == [
        "noveleval/qrels.txt",
        NovelEvalTask.online,
    ]
    folder = tmp_path / "noveleval"
    folder.mkdir()
    (folder / "corpus.tsv").write_text("d1\ttext\n")
    (folder / "queries.tsv").write_text("q1\tquery\nq2\tunjudged\n")
    (folder / "qrels.txt").write_text("q1 0 d1 1\n")
    data = NovelEvalTask().load("", tmp_path)
    assert data.queries == {"q1": "query"} and data.source == str(folder)
