"""Terminal tables: at 80 columns (and narrower) no metric name or value is cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ir_harness.cli.options import print_metrics
from ir_harness.cli.tables import TextTable, render

HARNESS = Path(sys.executable).parent / "harness"
# what `harness demo` prints for BM25 (every metric of the demo task)
DEMO_METRICS = {
    "recall@2": 1.0,
    "recall@10": 1.0,
    "ndcg@10": 0.9386,
    "recall@100": 1.0,
    "map@100": 1.0,
    "auc_graded_pool": 0.9123,
    "judged@10": 0.2,
    "mrr@10": 1.0,
}


def _printed(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cols: int,
             **kw: object) -> str:  # fmt: skip
    monkeypatch.setenv("COLUMNS", str(cols))
    print_metrics("demo", "bm25[variant=plain]", DEMO_METRICS, "recall@2", 120, **kw)  # type: ignore[arg-type]
    return capsys.readouterr().out


@pytest.mark.parametrize("cols", [80, 60, 40])
def test_every_metric_name_and_value_is_whole_at_narrow_widths(
    cols: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _printed(capsys, monkeypatch, cols)
    assert "\u2026" not in out
    assert max(len(line) for line in out.splitlines()) <= cols
    for name, value in DEMO_METRICS.items():
        shown = name + (" *" if name == "recall@2" else "")
        line = next(ln for ln in out.splitlines() if shown in ln.split("  ")[0] or shown in ln)
        assert f"{value:.4f}" in line, (name, line)


def test_a_row_that_fits_stays_one_row(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _printed(capsys, monkeypatch, 200)
    header = next(ln for ln in out.splitlines() if "recall@2 *" in ln)
    assert all(name in header for name in DEMO_METRICS)


def test_wide_prints_the_row_whatever_the_width(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _printed(capsys, monkeypatch, 40, wide=True)
    header = next(ln for ln in out.splitlines() if "recall@2 *" in ln)
    assert all(name in header for name in DEMO_METRICS)


def test_values_longer_than_the_width_fold_instead_of_being_cut() -> None:
    from rich.console import Console

    t = TextTable("t", ["system", "error"])
    t.add_row("dense[model=" + "x" * 70 + "]", "boom")
    console = Console(width=40, record=True)
    console.print(render(t, width=40))
    text = console.export_text()
    assert "\u2026" not in text
    assert "x" * 70 in text.replace("\n", "").replace(" ", "")


def _list_tasks(*args: str, cols: int = 80) -> str:
    env = {**os.environ, "COLUMNS": str(cols)}
    proc = subprocess.run(
        [str(HARNESS), "list", "tasks", *args], capture_output=True, text=True, env=env, check=True
    )
    return proc.stdout


def test_list_tasks_at_80_columns_is_one_line_per_family() -> None:
    families = {r["name"]: r for r in json.loads(_list_tasks("--json"))}
    out = _list_tasks()
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name, row in families.items():
        line = next(ln for ln in lines if ln.startswith(f"\u2502 {name} "))
        assert row["main_metric"] in line
    assert "cqadupstack" not in out  # subsets only with NAME


def test_list_tasks_name_shows_its_subsets_and_sources() -> None:
    out = _list_tasks("beir", cols=80)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "cqadupstack/android" in out
    assert "ndcg@10" in out
