"""Ids and numbers in runs and qrels read exactly as trec_eval reads them; a stored run.trec
scored by trec_eval gives the stored number."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.probe.helpers import assert_clean_error, harness

GOOD_RUN = "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq2 Q0 d2 1 2.0 t\nq3 Q0 d3 1 1.0 t\n"
TREC_EVAL = os.environ.get("TREC_EVAL_BIN") or shutil.which("trec_eval") or ""


def _beir(root: Path) -> Path:
    """A BEIR folder whose doc ids hold percent signs (ids, not encodings)."""
    d = root / "data" / "pct"
    (d / "qrels").mkdir(parents=True)
    docs = {"a%20b": "apple banana", "100%25": "cherry date", "plain": "nothing here"}
    (d / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in docs.items())
    )
    (d / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "apple banana"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "cherry date"})
        + "\n"
    )
    (d / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\ta%20b\t1\nq2\t100%25\t1\n"
    )
    return root / "data"


def _ndcg(a_out: str) -> float:
    return float(json.loads(a_out)["metrics"]["ndcg@10"])


def test_percent_signs_in_a_users_run_are_ids(tmp_path: Path) -> None:
    data = _beir(tmp_path)
    run = tmp_path / "my.run"
    run.write_text("q1 Q0 a%20b 1 2.0 t\nq1 Q0 plain 2 1.0 t\nq2 Q0 100%25 1 2.0 t\n")
    a = harness("eval", str(run), "-t", "beir/pct", "--data-dir", str(data), "--json")
    assert a.rc == 0, a.err
    assert _ndcg(a.out) == pytest.approx(1.0)


def test_a_stored_run_scored_by_trec_eval_gives_the_stored_number(tmp_path: Path) -> None:
    if not Path(TREC_EVAL).is_file():
        pytest.skip("trec_eval is not built (set TREC_EVAL_BIN)")
    data = _beir(tmp_path)
    res = tmp_path / "r"
    a = harness(
        "run", "-s", "overlap", "-t", "beir/pct", "--data-dir", str(data), "--results", str(res)
    )
    assert a.rc == 0, a.err
    (folder,) = [p for p in res.glob("*/*") if (p / "run.trec").is_file()]
    stored = json.loads((folder / "metrics.json").read_text())["metrics"]["ndcg@10"]
    assert stored == pytest.approx(1.0)
    qrels = tmp_path / "qrels.trec"
    qrels.write_text("q1 0 a%20b 1\nq2 0 100%25 1\n")
    te = subprocess.run(
        [TREC_EVAL, "-m", "ndcg_cut.10", str(qrels), str(folder / "run.trec")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(te.stdout.split()[-1]) == pytest.approx(stored, abs=1e-4), te.stdout


def test_a_no_break_space_is_part_of_a_field(tmp_path: Path) -> None:
    run = tmp_path / "nbsp.run"
    run.write_text("q1 Q0 a\u00a0b 1 5\n", encoding="utf-8")
    assert_clean_error(harness("eval", str(run), "-t", "tiny"), ":1", "5 fields")


@pytest.mark.parametrize("value", ["1_000", "\u0661"])
def test_a_number_c_reads_differently_is_refused(value: str, tmp_path: Path) -> None:
    run = tmp_path / "num.run"
    run.write_text(f"q1 Q0 d1 1 {value} t\nq1 Q0 d2 2 0.5 t\n", encoding="utf-8")
    assert_clean_error(harness("eval", str(run), "-t", "tiny"), ":1", repr(value))


def test_a_tab_separated_line_in_a_space_separated_run(tmp_path: Path) -> None:
    run = tmp_path / "mixed.run"
    run.write_text(GOOD_RUN + "q3\tQ0\td1\t2\t0.5\tt\n")
    a = harness("eval", str(run), "-t", "tiny", "--json")
    assert a.rc == 0, a.err
    ref = tmp_path / "ref.run"
    ref.write_text(GOOD_RUN + "q3 Q0 d1 2 0.5 t\n")
    b = harness("eval", str(ref), "-t", "tiny", "--json")
    assert json.loads(a.out)["metrics"] == json.loads(b.out)["metrics"]
