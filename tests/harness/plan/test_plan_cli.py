"""`harness plan` and the plan of `harness run`: JSON shape, refusal, --force, the metadata."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from ir_harness.cli import app
from tests.harness.test_cli import run_main

if TYPE_CHECKING:
    from pathlib import Path

TASK = "synthetic/3000"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HARNESS_MEM_AVAILABLE", raising=False)


def _plan(*extra: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["plan", "-s", "hashing", "-t", TASK, "--json", *extra])
    return res.exit_code, res.stdout, res.stderr


def test_plan_json_shape() -> None:
    code, out, _ = _plan()
    assert code == 0
    plan = json.loads(out)
    assert {"load", "index", "search", "evaluate"} <= set(plan["phases"])
    for phase in plan["phases"].values():
        assert {"seconds", "peak_memory_bytes", "disk_bytes"} <= set(phase)
    assert plan["inputs"]["n_documents"] == 3000
    assert plan["inputs"]["dim"] == 384
    # fp32 embeddings on disk: n x dim x 4 bytes
    assert plan["phases"]["index"]["disk_bytes"] == 3000 * 384 * 4
    assert plan["peak_memory_bytes"] > plan["base_memory_bytes"] > 0
    assert plan["seconds"] > 0
    assert plan["disk_bytes"] >= plan["phases"]["index"]["disk_bytes"]


def test_plan_refuses_when_memory_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", str(50_000_000))
    code, out, err = _plan()
    assert code == 2
    assert "exceeds the available" in err
    assert any(s in err for s in ("--batch-size", "shard_rows", "--executor ray"))
    assert "--force" in err
    assert json.loads(out)["peak_memory_bytes"] > 50_000_000


def test_plan_force_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", str(50_000_000))
    code, _, _ = _plan("--force")
    assert code == 0


def planned_run_args(tmp_path: Path) -> list[str]:
    """``harness run --plan`` of the hashing system on the test task, results in tmp_path."""
    return [
        "run",
        "-s",
        "hashing",
        "-t",
        TASK,
        "--results",
        str(tmp_path / "r"),
        "--quiet",
        "--plan",
    ]


def test_run_refuses_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", str(50_000_000))
    args = planned_run_args(tmp_path)
    code, _, err = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert "exceeds the available" in err
    assert not list((tmp_path / "r").rglob("metadata.json"))


def test_run_records_plan_beside_actual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_MEM_AVAILABLE", str(50_000_000))
    args = planned_run_args(tmp_path)
    res = CliRunner().invoke(app, [*args, "--force"])
    assert res.exit_code == 0, res.stderr
    assert "plan: hashing" in res.stderr  # the table, quiet mode included
    (meta_path,) = (tmp_path / "r").rglob("metadata.json")
    meta = json.loads(meta_path.read_text())
    assert set(meta["plan"]["phases"]) >= {"load", "index", "search", "evaluate"}
    assert {"load_s", "index_s", "search_s", "evaluate_s"} <= set(meta["timings"])
    assert meta["memory"]["peak_rss"] > 0
    assert meta["memory"]["peak_anon"] >= meta["memory"]["search_anon"] > 0
