"""Numbers in input files are range-checked the same way on every reader path, and a run can
come from a pipe, stdin or a gzip file of any name."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.probe.helpers import REPO, Answer, assert_clean_error, harness, probe_env

if TYPE_CHECKING:
    from pathlib import Path

GOOD_RUN = "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0 t\nq2 Q0 d2 1 2.0 t\nq3 Q0 d3 1 1.0 t\n"
# Judge qrels over tiny's pool; line 2 carries the grade under test. The "slow" variant has one
# tab-separated line, which the columnar reader leaves to the line reader.
QRELS = "q1 0 d1 1\nq1 0 d2 {grade}\nq2 0 d2 1\nq3 0 d3 1\n"


def _qrels(tmp_path: Path, grade: str, path: str) -> Path:
    text = QRELS.format(grade=grade)
    if path == "slow":
        text = text.replace("q3 0 d3 1", "q3\t0\td3\t1")
    q = tmp_path / f"judge-{path}.qrels"
    q.write_text(text)
    return q


def _eval_with(tmp_path: Path, qrels: Path) -> Answer:
    run = tmp_path / "run.trec"
    run.write_text(GOOD_RUN)
    return harness("eval", str(run), "-t", "tiny", "--qrels-from", str(qrels), "--json")


@pytest.mark.parametrize("grade", ["1e20", "-1e20", "2147483648", "9223372036854775808"])
@pytest.mark.parametrize("path", ["fast", "slow"])
def test_huge_grade_is_refused_naming_the_line(tmp_path: Path, grade: str, path: str) -> None:
    q = _qrels(tmp_path, grade, path)
    assert_clean_error(_eval_with(tmp_path, q), f"{q.name}:2", "out of range", "integer grade")


def test_grades_in_range_read_the_same_on_both_paths(tmp_path: Path) -> None:
    fast = _eval_with(tmp_path, _qrels(tmp_path, "2147483647", "fast"))
    slow = _eval_with(tmp_path, _qrels(tmp_path, "2147483647", "slow"))
    assert fast.rc == 0 and slow.rc == 0, (fast.err, slow.err)
    assert json.loads(fast.out)["metrics"] == json.loads(slow.out)["metrics"]


def _reference(tmp_path: Path) -> dict[str, float]:
    run = tmp_path / "plain.trec"
    run.write_text(GOOD_RUN)
    a = harness("eval", str(run), "-t", "tiny", "--json")
    assert a.rc == 0, a.err
    return json.loads(a.out)["metrics"]  # type: ignore[no-any-return]


def _shell(cmd: str, stdin: str | None = None) -> Answer:
    p = subprocess.run(
        ["bash", "-c", cmd],
        cwd=REPO,
        env=probe_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Answer(p.returncode, p.stdout, p.stderr)


LAUNCH = f"{sys.executable} -m tests.probe.launcher"


@pytest.mark.parametrize("how", ["dash", "dev-stdin", "process-substitution"])
def test_run_from_a_pipe(tmp_path: Path, how: str) -> None:
    want = _reference(tmp_path)
    src = tmp_path / "src.trec"
    src.write_text(GOOD_RUN)
    if how == "dash":
        a = _shell(f"{LAUNCH} eval - -t tiny --json", stdin=GOOD_RUN)
    elif how == "dev-stdin":
        a = _shell(f"cat {src} | {LAUNCH} eval /dev/stdin -t tiny --json")
    else:
        a = _shell(f"{LAUNCH} eval <(cat {src}) -t tiny --json")
    assert a.rc == 0 and "Traceback" not in a.err, a.err[-2000:]
    assert json.loads(a.out)["metrics"] == want


def test_bad_line_from_a_pipe_is_still_named(tmp_path: Path) -> None:
    a = _shell(f"{LAUNCH} eval - -t tiny", stdin="q1 Q0 d1 1 high t\n")
    assert_clean_error(a, "<stdin>:1", "not a number")
    assert "harness-stream-" not in a.err  # the temporary copy is gone: never named


def test_bad_line_from_a_process_substitution_names_it(tmp_path: Path) -> None:
    src = tmp_path / "bad.trec"
    src.write_text(GOOD_RUN + "q1 Q0 d9 1 high t\n")
    a = _shell(f"{LAUNCH} eval <(cat {src}) -t tiny")
    assert_clean_error(a, "/dev/fd/", "not a number")
    assert "harness-stream-" not in a.err


@pytest.mark.parametrize("name", ["run.GZ", "run", "run.trec.gzip"])
def test_gzip_is_known_by_its_magic_bytes(tmp_path: Path, name: str) -> None:
    want = _reference(tmp_path)
    path = tmp_path / name
    path.write_bytes(gzip.compress(GOOD_RUN.encode()))
    a = harness("eval", str(path), "-t", "tiny", "--json")
    assert a.rc == 0 and "Traceback" not in a.err, a.err[-2000:]
    assert json.loads(a.out)["metrics"] == want
