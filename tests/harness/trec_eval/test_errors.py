"""Where trec_eval 10.0 refuses, the drop-in refuses too: same exit status, nothing printed
to stdout beyond what trec_eval prints first, one line on stderr naming the file and line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.trec_eval.main import run_command

if TYPE_CHECKING:
    from pathlib import Path

QRELS = "1 0 a 1\n1 0 b 0\n2 0 c 1\n"
RUN = "1 Q0 a 1 1.0 r\n1 Q0 b 2 0.5 r\n2 Q0 c 1 3 r\n"


def run_te(
    tmp_path: Path, argv: list[str], qrels: str = QRELS, run: str = RUN
) -> tuple[str, str, int]:
    (tmp_path / "q").write_text(qrels)
    (tmp_path / "r").write_text(run)
    argv = [a.replace("Q", str(tmp_path / "q")).replace("R", str(tmp_path / "r")) for a in argv]
    out: list[str] = []
    err: list[str] = []
    rc = run_command(argv, out.append, err.append)
    return "".join(out), "".join(err), rc


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


def test_judged_query_missing_from_run_is_refused_without_c(tmp_path: Path) -> None:
    out, err, rc = run_te(tmp_path, ["Q", "R"], run="1 Q0 a 1 1.0 r\n")
    assert rc == 4 and out == ""
    assert "query '2' is judged but has no results" in one_line(err)
    out, err, rc = run_te(tmp_path, ["-c", "-m", "num_q", "Q", "R"], run="1 Q0 a 1 1.0 r\n")
    assert rc == 0 and out.splitlines()[-1] == "num_q                 \tall\t2"


def test_per_query_lines_before_the_missing_query_are_printed(tmp_path: Path) -> None:
    qrels = "1 0 a 1\n3 0 c 1\n"
    out, _err, rc = run_te(tmp_path, ["-q", "-m", "map", "Q", "R"], qrels=qrels)
    assert rc == 4 and out == "map                   \t1\t1.0000\n"


def test_run_lines_for_unjudged_queries_are_ignored(tmp_path: Path) -> None:
    out, _, rc = run_te(tmp_path, ["-m", "num_q", "Q", "R"], run=RUN + "9 Q0 z 1 1 r\n")
    assert rc == 0 and "\tall\t2" in out


@pytest.mark.parametrize(
    ("run", "line"),
    [
        ("1 Q0 a 1 1.0 r\n1 Q0 a 2 0.5 r\n2 Q0 c 1 1 r\n", 2),
        ("2 Q0 c 1 1 r\n1 Q0 b 1 1.0 r\n\n1 Q0 b 3 0.1 r\n", 4),
    ],
)
def test_duplicate_document_in_run_names_file_and_line(tmp_path: Path, run: str, line: int) -> None:
    _, err, rc = run_te(tmp_path, ["Q", "R"], run=run)
    assert rc == 4
    assert f"{tmp_path / 'r'}:{line}: duplicate document" in one_line(err)


def test_duplicate_beyond_M_is_not_an_error(tmp_path: Path) -> None:
    run = "1 Q0 a 1 1.0 r\n1 Q0 b 2 0.5 r\n1 Q0 a 3 0.1 r\n2 Q0 c 1 1 r\n"
    _, err, rc = run_te(tmp_path, ["-M", "2", "Q", "R"], run=run)
    assert (rc, err) == (0, "")


def test_duplicate_document_in_qrels(tmp_path: Path) -> None:
    _, err, rc = run_te(tmp_path, ["Q", "R"], qrels=QRELS + "1 0 a 0\n")
    assert rc == 4 and f"{tmp_path / 'q'}:4: duplicate document 'a'" in one_line(err)


@pytest.mark.parametrize(
    ("qrels", "run", "where"),
    [
        (QRELS, "1 Q0 a 1 1.0 r\n1 Q0 b 2 0.5\n", "r:2: malformed run line"),
        ("1 0 a 1\n1 0 b\n", RUN, "q:2: malformed qrels line"),
        ("1 0 a 1\n\n", RUN, "q:2: malformed qrels line"),
        ("1 0 a 1 extra\n", RUN, "q:1: malformed qrels line"),
        ("# one\n# two\n", RUN, "q:2: malformed qrels line"),
    ],
)
def test_malformed_lines(tmp_path: Path, qrels: str, run: str, where: str) -> None:
    out, err, rc = run_te(tmp_path, ["Q", "R"], qrels=qrels, run=run)
    assert rc == 2 and out == ""
    assert where in one_line(err)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    _, err, rc = run_te(tmp_path, ["Q", "R"], run="")
    assert rc == 2 and "cannot read results file" in one_line(err)
    _, err, rc = run_te(tmp_path, [str(tmp_path / "nope"), "R"])
    assert rc == 2 and "cannot read qrels file" in one_line(err)


@pytest.mark.parametrize(
    ("argv", "status", "text"),
    [
        (["-m", "nonesuch", "Q", "R"], 1, "illegal measure 'nonesuch'"),
        (["-m", "P.", "Q", "R"], 1, "illegal measure 'P'"),
        (["-m", "P.0,5", "Q", "R"], 2, "negative cutoff"),
        (["-m", "P.5,5", "Q", "R"], 2, "duplicate cutoffs"),
        (["-m", "ndcg.1", "Q", "R"], 2, "malformed pair parameters"),
        (["-m", "utility.1,2", "Q", "R"], 4, "improper number of coefficients"),
        (["-x", "Q", "R"], 1, "invalid option"),
        (["Q"], 1, "expected two files"),
        (["-m", "prefs_simp", "Q", "R"], 2, "does not read"),
    ],
)
def test_bad_command_lines(tmp_path: Path, argv: list[str], status: int, text: str) -> None:
    out, err, rc = run_te(tmp_path, argv)
    assert rc == status and out == ""
    assert text in err and "Traceback" not in err
