"""trec_eval's number parsing, comment rules and tie order, from tiny inline files."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ir_harness.trec_eval.cnum import atof, atol, lround
from ir_harness.trec_eval.judged import rank
from ir_harness.trec_eval.main import fmt_double, run_command
from ir_harness.trec_eval.readers import read_qrels, read_run

if TYPE_CHECKING:
    from pathlib import Path


def test_c_number_parsing() -> None:
    assert atol("12abc") == 12 and atol(" -3") == -3 and atol("x") == 0 and atol("2.9") == 2
    assert atol("99999999999999999999") == 2**63 - 1
    assert atof("1.5e3x") == 1500.0 and atof(".5") == 0.5 and atof("1e") == 1.0
    assert atof("0x10") == 16.0 and atof("-inf") == -math.inf and math.isnan(atof("nan"))
    assert atof("abc") == 0.0 and atof("") == 0.0
    assert [lround(x) for x in (0.5, 1.5, 2.5, -0.5, 0.49999999999999994)] == [1, 2, 3, -1, 0]


def test_ties_by_docno_descending_and_double_precision() -> None:
    # 1.00000001 and 1.0 are different doubles (equal as floats, as 9.x compared them)
    assert rank(["a", "b", "c"], [1.0, 1.00000001, 1.0], 10) == ["b", "c", "a"]
    assert rank(["a", "b", "c"], [2.0, 1.0, 3.0], 2) == ["c", "a"]


def test_comment_rules(tmp_path: Path) -> None:
    q = tmp_path / "q"
    q.write_bytes(b"# c\n1 0 a 1\n #x 0 b 0\n2 0 c 2\r\n")
    qrels = read_qrels(str(q))
    assert qrels.qids == ["#x", "1", "2"]  # a "#" after a blank is data
    assert qrels.rels["2"] == [2]
    r = tmp_path / "r"
    r.write_bytes(b"\n   \n # skipped\n1 Q0 a 1 0.5 first extra fields\n1 Q0 b 2 x last")
    run = read_run(str(r))
    assert run.runid == "last" and run.docs["1"] == [b"a", b"b"] and run.sims["1"] == [0.5, 0.0]


def test_number_format() -> None:
    assert fmt_double(0.123449999) == "0.1234" and fmt_double(-math.nan) == "  -nan"
    assert fmt_double(math.inf) == "   inf"


def test_judged_only_with_nothing_judged_prints_minus_nan(tmp_path: Path) -> None:
    """trec_eval divides 0 by 0 there; x86's default NaN has its sign bit set."""
    (tmp_path / "q").write_text("1 0 a 1\n")
    (tmp_path / "r").write_text("1 Q0 z 1 1 r\n")
    out: list[str] = []
    rc = run_command(
        ["-J", "-m", "iprec_at_recall.0", str(tmp_path / "q"), str(tmp_path / "r")],
        out.append, lambda s: None,
    )  # fmt: skip
    assert rc == 0 and out[-1] == "iprec_at_recall_0.00  \tall\t  -nan\n"
