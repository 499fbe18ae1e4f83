"""harness grid: all cells stored, stored cells skipped, a failing cell reported, others kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ir_harness.run.config import LocalExecutor, RunConfig
from ir_harness.run.grid_runner import GridOptions, run_grid
from ir_harness.store.results import iter_results

if TYPE_CHECKING:
    from pathlib import Path

BAD = "beir/no-such-dataset"  # no local folder, unknown to ir_datasets: fails when loaded


def _grid(
    tmp_path: Path,
    tasks: list[str],
    systems: tuple[str, ...] = ("hashing", "hashing>hashing"),
    data_dir: Path | None = None,
    executor: str = "local",
) -> GridOptions:
    config = RunConfig(
        data_dir=data_dir,
        results=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        progress=False,
        executor=_executor(executor),
    )
    return GridOptions(systems=list(systems), tasks=tasks, config=config, retries=1)


def _executor(name: str) -> Any:
    if name == "ray":
        from ir_harness.executors.ray_executor import RayExecutor

        return RayExecutor(workers=2)
    return LocalExecutor()


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_grid_stores_skips_and_reports(tmp_path: Path, executor: str) -> None:
    if executor == "ray":
        ray = pytest.importorskip("ray")
    cells = run_grid(
        _grid(tmp_path, ["demo", "synthetic/1500", BAD], executor=executor), live=False
    )
    status = {(c.task, c.system): c for c in cells}
    good = [c for c in cells if c.task != BAD]
    assert [c.status for c in good] == ["done"] * 4
    assert all(c.score is not None and c.path for c in good)
    failed = [c for c in cells if c.task == BAD]
    assert [c.status for c in failed] == ["failed"] * 2 and "no-such-dataset" in failed[0].error
    assert failed[0].attempts == 2  # retried once
    assert len(iter_results(tmp_path / "results")) == 4
    again = run_grid(_grid(tmp_path, ["demo", "synthetic/1500"], executor=executor), live=False)
    assert [c.status for c in again] == ["skipped"] * 4
    assert again[0].score == status[("demo", "hashing")].score
    if executor == "ray":
        ray.shutdown()


def test_unknown_task_fails_its_cells_only(tmp_path: Path) -> None:
    cells = run_grid(_grid(tmp_path, ["nosuchtask", "demo"]), live=False)
    assert [c.status for c in cells] == ["failed", "failed", "done", "done"]
    assert "unknown task" in cells[0].error


@pytest.mark.slow
def test_bm25_dense_grid_on_ray(tmp_path: Path, shared_data: Path) -> None:
    """The issue's acceptance grid: bm25,dense x demo,limit-small on a local Ray cluster."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("pyserini")
    pytest.importorskip("sentence_transformers")
    grid = _grid(
        tmp_path, ["demo", "limit-small", BAD], ("bm25", "dense"), shared_data, executor="ray"
    )
    cells = run_grid(grid, live=False)
    assert [c.status for c in cells] == ["done"] * 4 + ["failed"] * 2
    assert len(iter_results(tmp_path / "results")) == 4
    again = run_grid(
        _grid(tmp_path, ["demo", "limit-small"], ("bm25", "dense"), shared_data, executor="ray"),
        live=False,
    )
    assert [c.status for c in again] == ["skipped"] * 4
    ray.shutdown()
