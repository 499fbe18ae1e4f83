"""Judged@10 on the site: a column beside the main metric, a marker on runs with holes, and
results stored before it existed still load (blank cell, no marker)."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from ir_harness.leaderboard.build import build
from ir_harness.leaderboard.summary import summarise
from tests.leaderboard.helpers import values, write_fake_result

if TYPE_CHECKING:
    from pathlib import Path


def store(tmp_path: Path) -> Path:
    r = tmp_path / "results"
    metrics = {"ndcg@10": values(1), "recall@100": values(2)}
    write_fake_result(r, "t", "holey", {**metrics, "judged@10": dict.fromkeys(values(3), 0.5)})
    write_fake_result(r, "t", "judged", {**metrics, "judged@10": dict.fromkeys(values(3), 0.9)})
    write_fake_result(r, "t", "old", metrics)  # stored before Judged@10 was kept
    return r


def test_summary_orders_judged_beside_main_and_flags_holes(tmp_path: Path) -> None:
    s = summarise(store(tmp_path))
    task = s["tasks"][0]
    assert task["metrics"][:2] == ["ndcg@10", "judged@10"]
    rows = {r["system"]: r for r in task["results"]}
    assert (
        rows["holey"]["judged_at_10"] == 0.5
        and "hole in the judgments" in rows["holey"]["hole_warning"]
    )
    assert rows["judged"]["hole_warning"] is None
    assert rows["old"]["judged_at_10"] is None and rows["old"]["hole_warning"] is None


def test_site_marks_holes_with_an_explaining_title(tmp_path: Path) -> None:
    site = build(store(tmp_path), tmp_path / "site").parent
    page = (site / "task-t.html").read_text()
    marks = re.findall(r'<span class="flag flag-holes" title="([^"]*)">(\d+)% judged</span>', page)
    assert [pct for _, pct in marks] == ["50"]
    assert "may be a hole in the judgments" in html.unescape(marks[0][0])
    old_row = page[page.index('data-name="old"') :].split("</tr>", 1)[0]
    cell = re.search(r'<td data-col="m-1" data-metric="judged@10"[^>]*>(.*?)</td>', old_row, re.S)
    assert cell and cell.group(1).strip() == "–"
    assert "flag-holes" in (site / "index.html").read_text()
