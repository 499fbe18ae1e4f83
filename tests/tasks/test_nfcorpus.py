"""NFCorpus: the original-release layout of shared/data, a BEIR folder, and the ir_datasets path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.errors import DataNotFoundError
from ir_harness.tasks.nfcorpus import NFCorpusTask

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.shared_data
def test_shared_original_release(shared_data: Path) -> None:
    data = NFCorpusTask().load("", shared_data)
    assert len(data.corpus) == 3162
    assert len(data.queries) == 323  # BEIR test queries with judgments
    assert set(data.queries) <= set(data.qrels)
    assert {g for docs in data.qrels.values() for g in docs.values()} == {1, 2}
    dev = NFCorpusTask().load("dev", shared_data)
    assert len(dev.corpus) == 3193 and dev.queries


def test_beir_folder_wins_when_present(tmp_path: Path) -> None:
    d = tmp_path / "nfcorpus"
    (d / "qrels").mkdir(parents=True)
    (d / "corpus.jsonl").write_text('{"_id": "MED-1", "title": "Statins", "text": "and cancer"}\n')
    (d / "queries.jsonl").write_text(
        '{"_id": "PLAIN-1", "text": "statin"}\n{"_id": "PLAIN-2", "text": "unjudged"}\n'
    )
    (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nPLAIN-1\tMED-1\t2\n")
    data = NFCorpusTask().load("", tmp_path)
    assert data.corpus["MED-1"].full_text == "Statins and cancer"
    assert list(data.queries) == ["PLAIN-1"]


def test_missing_everywhere_names_both_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ir_harness.tasks._irds

    def offline(*a: object, **k: object) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(ir_harness.tasks._irds, "load_irds", offline)
    with pytest.raises(DataNotFoundError) as e:
        NFCorpusTask().load("", tmp_path)
    msg = str(e.value)
    assert (
        "nfcorpus/beir-test/qrels.test.txt" in msg
        and "beir/nfcorpus/test" in msg
        and "no network" in msg
    )


def test_irds_conversion_on_official_formats(tmp_path: Path) -> None:
    """The online path's parsing, with ir_datasets reading small files in the official formats."""
    ir_datasets = pytest.importorskip("ir_datasets")
    from ir_harness.tasks._irds import load_irds

    (tmp_path / "docs.tsv").write_text("MED-1\tstatin abstract\nMED-2\tother text\n")
    (tmp_path / "queries.tsv").write_text("PLAIN-1\tstatins\n")
    (tmp_path / "qrels.txt").write_text("PLAIN-1 0 MED-1 2\nPLAIN-1 0 MED-2 0\n")
    ds = ir_datasets.create_dataset(
        docs_tsv=str(tmp_path / "docs.tsv"),
        queries_tsv=str(tmp_path / "queries.tsv"),
        qrels_trec=str(tmp_path / "qrels.txt"),
    )
    data = load_irds(ds)
    assert data.queries == {"PLAIN-1": "statins"}
    assert data.qrels == {"PLAIN-1": {"MED-1": 2, "MED-2": 0}}
    assert data.corpus["MED-1"].full_text == "statin abstract"
