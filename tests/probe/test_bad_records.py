"""One bad record never breaks the board: it is skipped with a warning naming folder and field."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from tests.leaderboard.helpers import values, write_fake_result
from tests.probe.helpers import harness

if TYPE_CHECKING:
    from pathlib import Path


def test_an_incomplete_training_record_is_skipped_naming_folder_and_field(tmp_path: Path) -> None:
    r = tmp_path / "results"
    for system, seed in (("lex", 1), ("den", 2), ("rer", 3)):
        write_fake_result(r, "solo", system, {"ndcg@10": values(seed)})
    bad = r / "solo" / "rer"
    rec = json.loads((bad / "metrics.json").read_text())
    rec["trained_on_evaluated"] = {"label": "trained on evaluated queries", "overlap": 3}
    (bad / "metrics.json").write_text(json.dumps(rec))
    out = tmp_path / "site"
    a = harness("leaderboard", "build", "--results", str(r), "--out", str(out))
    assert a.rc == 0 and "Traceback" not in a.err, a.err
    assert str(bad) in a.err and "evaluated_queries" in a.err, a.err
    assert (out / "index.html").is_file()
    c = harness("compare", "-t", "solo", "--results", str(r), "--json")
    assert c.rc == 0 and "Traceback" not in c.err, c.err
    assert str(bad) in c.err and "evaluated_queries" in c.err, c.err
    assert '"rer"' not in c.out


def test_a_newer_schema_version_is_refused_naming_it(tmp_path: Path) -> None:
    r = tmp_path / "results"
    write_fake_result(r, "solo", "lex", {"ndcg@10": values(1)})
    bad = write_fake_result(r, "solo", "den", {"ndcg@10": values(2)})
    rec = json.loads((bad / "metrics.json").read_text())
    rec["schema_version"] = 99
    (bad / "metrics.json").write_text(json.dumps(rec))
    c = harness("compare", "-t", "solo", "--results", str(r), "--json")
    assert "Traceback" not in c.err and str(bad) in c.err and "schema_version 99" in c.err, c.err
    assert '"den"' not in c.out


def test_a_record_copied_from_another_folder_is_skipped_naming_it(tmp_path: Path) -> None:
    """``solo-b/lex`` holds a copy of ``solo-a/lex``'s files: a row of ``solo-a`` twice, unless
    the copy, whose record names another folder than its own, is skipped with a warning."""
    r = tmp_path / "results"
    src = write_fake_result(r, "solo-a", "lex", {"ndcg@10": values(1)})
    write_fake_result(r, "solo-a", "den", {"ndcg@10": values(2)})
    write_fake_result(r, "solo-b", "den", {"ndcg@10": values(3)})
    copy = r / "solo-b" / "lex"
    shutil.copytree(src, copy)
    c = harness("compare", "-t", "solo-a", "--results", str(r), "--json")
    assert c.rc == 0 and "Traceback" not in c.err, c.err
    assert str(copy) in c.err and str(src) in c.err, c.err
    assert c.out.count('"lex"') == 1, c.out
    out = tmp_path / "site"
    a = harness("leaderboard", "build", "--results", str(r), "--out", str(out))
    assert a.rc == 0 and str(copy) in a.err, a.err
    summary = json.loads((out / "summary.json").read_text())
    rows = [(t["task"], e["row"]) for t in summary["tasks"] for e in t["results"]]
    assert sorted(rows) == [("solo-a", "den"), ("solo-a", "lex"), ("solo-b", "den")], rows
