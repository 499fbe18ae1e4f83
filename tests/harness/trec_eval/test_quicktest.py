"""trec_eval 10.0's own conformance suite (its Makefile's ``quicktest`` target): every command
line run through our drop-in must print exactly the expected file, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ir_harness.trec_eval.main import run_command

DATA = Path(__file__).resolve().parents[3] / "shared" / "trec_eval_10" / "test"

MEAS_PARAMS = (
    "-q -miprec_at_recall..10,.20,.25,.75,.50 -m P.5,7,3 -m recall.20,2000 "
    "-m Rprec_mult.5.0,0.2,0.35 -mutility.2,-1,0,0 -m 11pt_avg..25,.5,.75 "
    "-mndcg.1=3,2=9,4=4.5 -mndcg_cut.10,20,23.4 -msuccess.2,5,20"
)
QUICKTEST = [
    ("", "qrels.test", "results.test", "out.test"),
    ("", "qrels.test.with-comments", "results.test", "out.test"),
    ("", "qrels.comment.test", "results.comment.test", "out.comment.test"),
    ("-m all_trec", "qrels.test", "results.test", "out.test.a"),
    ("-m all_trec -q", "qrels.test", "results.test", "out.test.aq"),
    ("-m all_trec -q -c", "qrels.test", "results.trunc", "out.test.aqc"),
    ("-m all_trec -q -c -M100", "qrels.test", "results.trunc", "out.test.aqcM"),
    ("-m all_trec -mrelstring.20 -q -l2", "qrels.rel_level", "results.test", "out.test.aql"),
    (MEAS_PARAMS, "qrels.test", "results.test", "out.test.meas_params"),
]


def run_te(argv: list[str]) -> tuple[bytes, str, int]:
    out: list[str] = []
    err: list[str] = []
    rc = run_command(argv, out.append, err.append)
    return "".join(out).encode("latin-1"), "".join(err), rc


@pytest.mark.parametrize(("flags", "qrels", "run", "expected"), QUICKTEST)
def test_quicktest_byte_for_byte(flags: str, qrels: str, run: str, expected: str) -> None:
    got, err, rc = run_te([*flags.split(), str(DATA / qrels), str(DATA / run)])
    assert (rc, err) == (0, "")
    assert got == (DATA / expected).read_bytes()


def test_cli_command_prints_the_same_bytes_and_reads_stdin() -> None:
    """The ``harness trec-eval`` console command, run from a run on standard input."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = "from ir_harness.cli import main; main()"
    with open(DATA / "results.test", "rb") as run:
        proc = subprocess.run(
            [sys.executable, "-c", code, "trec-eval", "-m", "all_trec", "-q",
             str(DATA / "qrels.test"), "-"],
            stdin=run, capture_output=True, env=env, check=False,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (DATA / "out.test.aq").read_bytes()
