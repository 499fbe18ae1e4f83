"""Checkpoints: a batch is done only once its file was renamed into place; LLM counters carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_harness.run.checkpoint import Checkpoint

if TYPE_CHECKING:
    from pathlib import Path


def test_batches_and_llm_counters_survive_a_restart(tmp_path: Path) -> None:
    ck = Checkpoint(tmp_path / "ck")
    stats: dict[str, object] = {}
    assert ck.load(stats) == {}
    stats.update({"llm_answers": 4, "llm_failed_answers": 1, "encoded_texts": 9})
    ck.commit({"q1": {"d1": 2.0}}, stats)
    stats.update({"llm_answers": 6, "llm_failed_answers": 3})
    ck.commit({"q2": {"d2": 1.0}}, stats)
    (tmp_path / "ck" / ".000002.run.json.x.tmp").write_text(
        "q3 Q0 d3 1 1.0 t\n"
    )  # killed mid-write
    fresh: dict[str, object] = {}
    again = Checkpoint(tmp_path / "ck")
    assert again.load(fresh) == {"q1": {"d1": 2.0}, "q2": {"d2": 1.0}}
    assert fresh == {"llm_answers": 6, "llm_failed_answers": 3}  # only llm_* counters carry
    assert not list((tmp_path / "ck").glob(".*.tmp"))
    again.commit({"q3": {"d3": 1.0}}, fresh)
    assert sorted(Checkpoint(tmp_path / "ck").load()) == ["q1", "q2", "q3"]


def test_old_single_file_checkpoint_is_discarded(tmp_path: Path) -> None:
    (tmp_path / "ck.trec").write_text("q1 Q0 d1 1 2.0 t\n")
    assert Checkpoint(tmp_path / "ck").load() == {}
    assert not (tmp_path / "ck.trec").exists()
