"""``harness diff`` on tiny inline runs and qrels: text, --json, --html and bad input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.harness.test_cli import run_main
from tests.leaderboard.helpers import write_fake_result

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

QRELS = "q1 0 d1 2\nq1 0 d2 0\nq1 0 d3 1\nq2 0 d4 1\nq3 0 d5 1\n"
RUN_A = "q1 Q0 d2 1 3 a\nq1 Q0 d1 2 2 a\nq1 Q0 d9 3 1 a\nq2 Q0 d4 1 1 a\nq3 Q0 d6 1 1 a\n"
RUN_B = "q1 Q0 d1 1 3 b\nq1 Q0 d3 2 2 b\nq1 Q0 d2 3 1 b\nq2 Q0 d7 1 2 b\nq2 Q0 d4 2 1 b\nq3 Q0 d5 1 1 b\n"


def files(tmp_path: Path) -> tuple[str, str, str]:
    for name, text in (("qrels", QRELS), ("a.trec", RUN_A), ("b.trec", RUN_B)):
        (tmp_path / name).write_text(text)
    return str(tmp_path / "a.trec"), str(tmp_path / "b.trec"), str(tmp_path / "qrels")


def test_run_files_json_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, q = files(tmp_path)
    page = tmp_path / "out" / "diff.html"
    code, out, err = run_main(
        monkeypatch, capsys, "diff", a, b, "--qrels", q, "--metric", "P@1", "--json",
        "--html", str(page),
    )  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    # P@1 by hand: A hits q2 only, B hits q1 and q3 -> B wins 2, loses 1
    assert (d["wins"], d["ties"], d["losses"]) == (2, 0, 1)
    assert d["judgments_from"] == q
    assert d["largest"][0]["top_a"][2] == {"doc": "d9", "grade": None, "judged": False}
    html = page.read_text()
    assert "[unjudged]" in html and "a.trec" in html
    assert not list(page.parent.glob(".*.tmp"))


def test_text_output_fits_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, q = files(tmp_path)
    monkeypatch.setenv("COLUMNS", "60")
    code, out, err = run_main(monkeypatch, capsys, "diff", a, b, "--qrels", q, "--metric", "P@1")
    assert code == 0, err
    assert "wins/ties/losses 2/0/1" in out
    assert "d9 [unjudged]" in out and "d1 [2]" in out
    assert max(len(line) for line in out.splitlines()[2:]) <= 60


def test_result_folders_use_their_stored_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = tmp_path / "results"
    fa = write_fake_result(res, "t", "sa", {"ndcg@10": {"q1": 0.2, "q2": 0.5}})
    fb = write_fake_result(res, "t", "sb", {"ndcg@10": {"q1": 0.6, "q2": 0.5}})
    code, out, err = run_main(monkeypatch, capsys, "diff", str(fa), str(fb), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert (d["a"], d["b"], d["metric"]) == ("sa", "sb", "ndcg@10")
    assert (d["wins"], d["ties"], d["losses"]) == (1, 1, 0)
    assert d["largest"][0]["query"] == "q1" and abs(d["largest"][0]["delta"] - 0.4) < 1e-12


def test_bad_input_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _ = files(tmp_path)
    code, _, err = run_main(monkeypatch, capsys, "diff", a, b)
    assert code == 2 and "--task TASK or --qrels" in err and "Traceback" not in err
    code, _, err = run_main(monkeypatch, capsys, "diff", a, str(tmp_path / "nope"))
    assert code == 2 and "neither a result folder nor a run file" in err
