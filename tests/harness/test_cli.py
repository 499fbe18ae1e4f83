"""The command line: JSON output for scripts, clean errors with non-zero exit codes."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from ir_harness.cli import app, main
from ir_harness.registry import SYSTEMS, TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def _register() -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["harness", *args])
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


def test_list_json() -> None:
    res = CliRunner().invoke(app, ["list", "tasks", "--json"])
    assert res.exit_code == 0, repr(res.exception)
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["trec-dl"]["main_metric"] == "ndcg@10"
    assert "2019" in rows["trec-dl"]["subsets"]
    assert any(s.startswith("ir_datasets:") for s in rows["trec-dl"]["sources"])


def test_a_task_whose_subsets_fail_is_listed_as_failed_and_hides_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ir_harness.task import Task

    class NoSubsets(Task):  # subsets() is the base's: not implemented
        family = "no-subsets"
        description = "broken on purpose"

    monkeypatch.setitem(TASKS._entries, "no-subsets", None)  # removed again after the test
    TASKS.register("no-subsets", NoSubsets)
    res = CliRunner().invoke(app, ["list", "tasks", "--json"])
    assert res.exit_code == 0, repr(res.exception)
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["no-subsets"]["description"].startswith("failed to load: NotImplementedError")
    assert rows["trec-dl"]["main_metric"] == "ndcg@10"


def test_run_json_then_compare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = tmp_path / "results"
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "run",
        "--system",
        "overlap",
        "--task",
        "tiny",
        "--results",
        str(res),
        "--json",
        "--device",
        "cpu",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["main_metric"] == "ndcg@10" and payload["metrics"]["ndcg@10"] == pytest.approx(
        1.0
    )
    code, _, _ = run_main(
        monkeypatch,
        capsys,
        "run",
        "--system",
        "overlap>overlap",
        "--task",
        "tiny",
        "--results",
        str(res),
        "--json",
    )
    assert code == 0
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "compare",
        "--task",
        "tiny",
        "--results",
        str(res),
        "--json",
        "--baseline",
        "overlap",
    )
    assert code == 0
    (row,) = json.loads(out)
    assert row["system"] == "overlap>overlap" and 0 <= row["p_holm"] <= 1


def test_eval_malformed_run_exits_2_naming_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.run"
    bad.write_text("q1 Q0 d1 1 1.0 t\nq1 Q0 d2 2 high t\n")
    code, _, err = run_main(monkeypatch, capsys, "eval", str(bad), "--task", "tiny")
    assert code == 2
    assert f"{bad}:2" in err and "not a number" in err


def test_unknown_task_exit_code_and_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "run", "--system", "overlap", "--task", "tinny")
    assert code == 2 and "did you mean 'tiny'" in err


def test_bad_option_syntax(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        monkeypatch, capsys, "run", "--system", "overlap", "--task", "tiny", "-o", "novalue"
    )
    assert code == 2 and "KEY=VALUE" in err


def test_qrels_from_judge_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file = tmp_path / "r.trec"
    run_file.write_text("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq2 Q0 d2 1 1 t\nq3 Q0 d3 1 1 t\n")
    judge = tmp_path / "judge.txt"
    judge.write_text("q1 0 d1 3\nq1 0 d9 3\n")  # d9 is not a human-judged pair: ignored
    code, out, _ = run_main(monkeypatch, capsys, "eval", str(run_file), "--task", "tiny", "--json")
    human = json.loads(out)["metrics"]["recall@2"]
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "eval",
        str(run_file),
        "--task",
        "tiny",
        "--json",
        "--qrels-from",
        str(judge),
    )
    assert code == 0
    judged = json.loads(out)
    # with the judge's labels only q1 has a relevant document (d1, ranked first); q2 and q3 keep
    # their (now all-zero) judgments and score 0, as trec_eval counts them
    assert judged["n_queries"] == 3 and judged["metrics"]["ndcg@10"] == pytest.approx(1 / 3)
    assert human == pytest.approx(1.0)
    res = tmp_path / "results"
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "run",
        "--system",
        "overlap",
        "--task",
        "tiny",
        "--results",
        str(res),
        "--json",
        "--qrels-from",
        str(judge),
    )
    assert code == 0 and json.loads(out)["task"] == "tiny[qrels=judge.txt]"


def test_compare_pairs_a_partial_row_on_its_own_queries_and_never_makes_it_best(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = str(tmp_path / "results")
    for extra in ([], ["--limit-queries", "2"]):
        code, _, err = run_main(
            monkeypatch, capsys, "run", "-s", "overlap>overlap" if extra else "overlap",
            "-t", "tiny", "--results", res, "--json", "--device", "cpu", *extra,
        )  # fmt: skip
        assert code == 0, err
    code, out, _ = run_main(
        monkeypatch, capsys, "compare", "--task", "tiny", "--results", res, "--json"
    )
    assert code == 0
    (row,) = json.loads(out)
    assert row["baseline"] == "overlap"  # the full run, though the partial one scores as high
    assert row["system"] == "overlap>overlap@limit2" and row["n_queries"] == 2
    assert row["flags"] == {"partial": "partial: 2 of 3 queries"}


def test_run_on_zero_queries_exits_2_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = TinyTask.load

    def no_queries(self: TinyTask, subset: str, data_dir: object) -> object:
        data = real(self, subset, data_dir)  # type: ignore[arg-type]
        data.queries = {}
        return data

    monkeypatch.setattr(TinyTask, "load", no_queries)
    code, _, err = run_main(
        monkeypatch, capsys, "run", "-s", "overlap", "-t", "tiny",
        "--results", str(tmp_path / "r"), "--device", "cpu",
    )  # fmt: skip
    assert code == 2 and "no judged queries to evaluate" in err and "Traceback" not in err
    assert not (tmp_path / "r" / "tiny").exists()


def test_eval_scores_every_document_unless_depth_cuts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user's run is scored whole (trec_eval's rule), not at the task's depth (3 for tiny):
    the relevant document at rank 4 counts; ``--depth 3`` cuts it; the JSON says which."""
    rf = tmp_path / "deep.run"
    rf.write_text("".join(f"q1 Q0 x{i} {i} {10 - i} t\n" for i in range(1, 4)) + "q1 Q0 d1 4 6 t\n")
    code, out, _ = run_main(monkeypatch, capsys, "eval", str(rf), "--task", "tiny", "--json")
    assert code == 0
    whole = json.loads(out)
    assert whole["depth"] == "all" and whole["metrics"]["ndcg@10"] > 0
    code, out, _ = run_main(
        monkeypatch, capsys, "eval", str(rf), "--task", "tiny", "--depth", "3", "--json"
    )
    assert code == 0
    cut = json.loads(out)
    assert cut["depth"] == 3 and cut["metrics"]["ndcg@10"] == 0.0
    code, _, err = run_main(monkeypatch, capsys, "eval", str(rf), "--task", "tiny", "--depth", "0")
    assert code == 2 and "--depth" in err
