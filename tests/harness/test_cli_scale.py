"""CLI flags of the scale work: --executor, and harness grid's exit status and table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.harness.test_cli import run_main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_bad_executor_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "run",
        "-s",
        "hashing",
        "-t",
        "demo",
        "--executor",
        "spark",
        "--results",
        str(tmp_path),
    )
    assert code == 2 and "--executor 'spark': expected local or ray" in err


def test_run_synthetic_with_hashing_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "run",
        "-s",
        "hashing",
        "-t",
        "synthetic/1500",
        "--json",
        "--results",
        str(tmp_path),
        "--device",
        "cpu",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["task"] == "synthetic/1500" and payload["stats"]["encoded_documents"] == 1500


def test_grid_reports_failed_cells_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        monkeypatch,
        capsys,
        "grid",
        "--systems",
        "hashing",
        "--tasks",
        "demo,nosuchtask",
        "--results",
        str(tmp_path),
        "--device",
        "cpu",
        "--retries",
        "0",
        "--quiet",
    )
    assert code == 2 and "1 of 2 cells failed" in err and "nosuchtask" in err
    assert "done" in out
