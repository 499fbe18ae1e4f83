"""An overview cell shows only the metric its column names."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.leaderboard.helpers import write_fake_result
from tests.probe.helpers import harness

if TYPE_CHECKING:
    from pathlib import Path


def test_a_row_recording_another_main_metric_shows_the_columns_metric(tmp_path: Path) -> None:
    r = tmp_path / "results"
    qs = [f"q{i}" for i in range(10)]
    for system, rec in (("a", 0.9905), ("b", 0.95)):
        write_fake_result(
            r,
            "limit-small",
            system,
            {"recall@2": dict.fromkeys(qs, rec), "ndcg@10": dict.fromkeys(qs, 0.5)},
        )
    write_fake_result(
        r,
        "limit-small",
        "odd",
        {"recall@2": dict.fromkeys(qs, 0.8), "ndcg@10": dict.fromkeys(qs, 0.9969)},
        main_metric="ndcg@10",
    )
    out = tmp_path / "site"
    a = harness("leaderboard", "build", "--results", str(r), "--out", str(out))
    assert a.rc == 0, a.err
    summary = json.loads((out / "summary.json").read_text())
    (fam,) = summary["families"]
    assert fam["scores"]["odd"]["main"]["mean"] == pytest.approx(0.8)  # recall@2, not nDCG@10
    html = (out / "index.html").read_text()
    row = re.search(r'<tr data-name="odd".*?</tr>', html, re.S)
    assert row is not None and "0.8000" in row.group(0) and 'class="best"' not in row.group(0)
    best = re.search(r'<tr data-name="a".*?</tr>', html, re.S)
    assert best is not None and 'class="best"' in best.group(0)
