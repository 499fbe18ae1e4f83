"""``harness eval RUN --qrels QRELS``: any run against any qrels, no task; Judged@10 reported."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

import ir_harness
from ir_harness.registry import SYSTEMS, TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask
from tests.harness.test_cli import (
    run_main as harness,  # the CLI in-process, its exit code and output
)

if TYPE_CHECKING:
    from pathlib import Path

RUN = "".join(
    f"{q} Q0 {d} {i + 1} {10 - i} r\n"
    for q, docs in {"1": "abcdefghij", "2": "bcdxyzuvwt"}.items()
    for i, d in enumerate(docs)
)
QRELS = "1 0 a 2\n1 0 b 0\n1 0 c 1\n1 0 d 0\n1 0 e 0\n1 0 f 1\n1 0 g 0\n1 0 h 0\n2 0 b 1\n3 0 a 1\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    run, qrels = tmp_path / "run.trec", tmp_path / "qrels.txt"
    run.write_text(RUN)
    qrels.write_text(QRELS)
    return run, qrels


def test_json_matches_score_and_carries_judged_at_10(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = files
    code, out, err = harness(
        monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels),
        "-m", "nDCG@10", "-m", "P.5,10", "-m", "map", "--json",
    )  # fmt: skip
    assert code == 0, err
    got = json.loads(out)
    want = ir_harness.score(run, qrels, ["nDCG@10", "P.5,10", "map", "Judged@10"])
    assert got["metrics"] == want
    assert list(got["metrics"]) == ["ndcg@10", "precision@5", "precision@10", "map", "judged@10"]
    assert got["main_metric"] == "ndcg@10" and got["n_queries"] == 3 and got["depth"] == "all"
    # query 1: 8 of 10 judged; query 2: 1 of 10; query 3: unanswered -> 0
    assert got["metrics"]["judged@10"] == pytest.approx((0.8 + 0.1 + 0) / 3)
    assert "warning: only 30% of the top 10 documents are judged" in err  # stderr with --json


def test_per_query_json_and_table(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = files
    code, out, _ = harness(
        monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels), "-m", "RR", "--per-query",
        "--json",
    )  # fmt: skip
    assert code == 0
    pq = json.loads(out)["per_query"]
    assert pq["mrr"] == {"1": 1.0, "2": 1.0, "3": 0.0}
    assert pq["judged@10"]["1"] == pytest.approx(0.8)
    code, out, _ = harness(
        monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels), "-m", "RR", "--per-query"
    )
    assert code == 0
    assert "query" in out and "1.0000" in out and "judged@10" in out
    flat = " ".join(out.split())  # the warning wraps at the terminal width
    assert "warning: only 30%" in flat and "hole in the judgments" in flat


def test_table_puts_judged_at_10_beside_the_main_metric(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = files
    code, out, _ = harness(monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels))
    assert code == 0
    header = next(line for line in out.splitlines() if "ndcg@10 *" in line)
    cols = [c.strip() for c in header.strip("┃│ ").replace("┃", "│").split("│")]
    assert cols[:2] == ["ndcg@10 *", "judged@10"]
    assert {"map", "precision@10", "recall@1000", "mrr"} <= set(cols)


def test_no_warning_when_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = tmp_path / "run", tmp_path / "qrels"
    run.write_text("1 Q0 a 1 2 r\n1 Q0 b 2 1 r\n")
    qrels.write_text("1 0 a 1\n1 0 b 0\n")
    code, out, _ = harness(monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels))
    assert code == 0 and "warning" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "needs --qrels QRELS_FILE or --task TASK"),
        (["--qrels", "QRELS", "-m", "bleu@4"], "unknown metric 'bleu@4'"),
        (["--qrels", "QRELS", "-m", "RBP(p=3)"], "strictly between 0 and 1"),
        (["--qrels", "missing.txt"], "missing.txt"),
        (["--qrels", "QRELS", "--qrels-from", "QRELS"], "need --task"),
    ],
)
def test_bad_usage_exits_2_with_a_message(
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    run, qrels = files
    args = [str(qrels) if a == "QRELS" else a for a in args]
    code, _, err = harness(monkeypatch, capsys, "eval", str(run), *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_qrels_line_is_named(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = files
    qrels.write_text("1 0 a 1\n1 0 b\n")
    code, _, err = harness(monkeypatch, capsys, "eval", str(run), "--qrels", str(qrels))
    assert code == 2 and f"{qrels}:2" in err


def test_task_conventions_still_apply_with_measures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    run = tmp_path / "run"
    run.write_text("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq2 Q0 d2 1 1 t\n")
    code, out, _ = harness(monkeypatch, capsys, "eval", str(run), "--task", "tiny", "--json")
    assert code == 0
    task_default = json.loads(out)
    assert "judged@10" not in task_default["metrics"]  # tiny's qrels list positives only
    assert task_default["main_metric"] == "ndcg@10"
    code, out, _ = harness(
        monkeypatch, capsys, "eval", str(run), "--task", "tiny", "-m", "AP", "-m", "Judged@10",
        "--json",
    )  # fmt: skip
    assert code == 0
    chosen = json.loads(out)
    assert list(chosen["metrics"]) == ["map", "judged@10"] and chosen["main_metric"] == "map"
    assert chosen["n_queries"] == task_default["n_queries"]


def test_tables_fit_the_terminal_unless_wide(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, qrels = files
    monkeypatch.setenv("COLUMNS", "40")
    args = ("eval", str(run), "--qrels", str(qrels), "-m", "nDCG@10", "-m", "P.5,10", "-m", "map")
    code, fitted, err = harness(monkeypatch, capsys, *args, "--per-query")
    assert code == 0, err
    assert max(map(len, fitted.splitlines())) <= 40
    code, wide, err = harness(monkeypatch, capsys, *args, "--per-query", "--wide")
    assert code == 0, err
    assert max(map(len, wide.splitlines())) > 40
    for name in ("ndcg@10", "precision@5", "precision@10", "map"):
        assert name in fitted and name in wide
