"""Result store: atomic writes and a stable layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.protocols import SystemMeta
from ir_harness.store import results as store
from ir_harness.store.results import (
    MetricsRecord,
    RunMetadata,
    iter_results,
    result_dir,
    slug,
    write_result,
)

if TYPE_CHECKING:
    from pathlib import Path


def records(score: float) -> tuple[MetricsRecord, RunMetadata]:
    m = MetricsRecord(
        task="trec-dl/2019",
        system="bm25>dense",
        main_metric="ndcg@10",
        main_score=score,
        metrics={"ndcg@10": score},
        per_query={"ndcg@10": {"q": score}},
        n_queries=1,
        relevance_threshold=2,
        average_over="qrels",
    )
    meta = RunMetadata(
        task=m.task,
        system=m.system,
        command="harness run",
        config={},
        config_hash="x",
        stages=[SystemMeta(name="bm25")],
        data_source="inline",
        git_sha="",
        packages={},
        hardware={},
        seed=0,
        timings={},
    )
    return m, meta


def test_slug_is_safe_and_distinct() -> None:
    assert slug("trec-dl/2019") == "trec-dl__2019"
    assert slug("bm25>dense") == "bm25+dense"
    a, b = slug("dense[model=/a/b]"), slug("dense[model=/a/c]")
    assert a != b and "/" not in a


def test_crash_during_write_keeps_previous_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_result(tmp_path, "run v1", *records(0.5))
    target = result_dir(tmp_path, "trec-dl/2019", "bm25>dense")

    real_dump = MetricsRecord.model_dump_json

    def failing_dump(self: MetricsRecord, **kw: object) -> str:
        if self.main_score == 0.9:
            raise OSError("disk full")
        return real_dump(self, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store.MetricsRecord, "model_dump_json", failing_dump)
    with pytest.raises(OSError):
        write_result(tmp_path, "run v2", *records(0.9))
    assert (target / "run.trec").read_text() == "run v1"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp folder left behind
    ((m, _, _),) = iter_results(tmp_path)
    assert m.main_score == 0.5


def test_rewrite_replaces_result(tmp_path: Path) -> None:
    write_result(tmp_path, "run v1", *records(0.5))
    write_result(tmp_path, "run v2", *records(0.7))
    ((m, _, d),) = iter_results(tmp_path)
    assert m.main_score == 0.7 and (d / "run.trec").read_text() == "run v2"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_rewrite_swaps_the_new_copy_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    """Where the one-step exchange is unavailable, two renames still replace the result."""
    if not exchange:
        monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    else:
        (tmp_path / "a").mkdir()
        (tmp_path / "b" / "inner").mkdir(parents=True)
        if not store._exchange(tmp_path / "a", tmp_path / "b"):
            pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
        assert (tmp_path / "a" / "inner").is_dir() and not any((tmp_path / "b").iterdir())
        tmp_path = tmp_path / "results"
    write_result(tmp_path, "run v1", *records(0.5))
    target = write_result(tmp_path, "run v2", *records(0.7))
    assert (target / "run.trec").read_text() == "run v2"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_nan_metric_round_trips(tmp_path: Path) -> None:
    m, meta = records(0.5)
    m.metrics["spearman"] = float("nan")
    write_result(tmp_path, "x", m, meta)
    ((back, _, _),) = iter_results(tmp_path)
    assert back.metrics["spearman"] != back.metrics["spearman"]  # NaN, not None


def test_identity_is_written_once_and_old_metadata_that_repeats_it_still_loads(
    tmp_path: Path,
) -> None:
    import json

    m, meta = records(0.5)
    folder = write_result(tmp_path, "run", m, meta)
    written = json.loads((folder / store.METADATA_FILE).read_text())
    assert {"task", "system", "scope"}.isdisjoint(written)  # only metrics.json names it
    assert written["schema_version"] == store.METADATA_SCHEMA_VERSION
    # a version-1 folder (identity in both files) reads as before
    old = {**written, "schema_version": 1, "task": m.task, "system": m.system, "scope": {}}
    (folder / store.METADATA_FILE).write_text(json.dumps(old))
    (back,) = store.load(tmp_path)
    assert (back.task, back.system, back.main_score) == (m.task, m.system, 0.5)
    assert back.metadata.schema_version == 1
