"""Differential tests against a compiled trec_eval 10.0 (``TREC_EVAL_BIN``; skipped without
it): seeded random qrels and runs, many measure and flag combinations, with and without -c
(without it, a judged query missing from the run must fail the same way). Stdout and the
exit status must be identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ir_harness.trec_eval.main import run_command

sys.path.insert(0, str(Path(__file__).parent))
from random_cases import MEASURE_FLAGS, write_case  # noqa: E402

BIN = os.environ.get("TREC_EVAL_BIN")
pytestmark = pytest.mark.skipif(not BIN, reason="TREC_EVAL_BIN does not name a trec_eval binary")


@pytest.mark.parametrize("seed", range(40))
def test_matches_trec_eval(tmp_path: Path, seed: int) -> None:
    assert BIN is not None
    qrels, run = write_case(tmp_path, seed)
    for flags in MEASURE_FLAGS:
        for complete in (["-c"], []):
            argv = [*complete, *flags, str(qrels), str(run)]
            ref = subprocess.run([BIN, *argv], capture_output=True, check=False)
            out: list[str] = []
            rc = run_command(argv, out.append, lambda s: None)
            assert rc == ref.returncode, (argv, ref.stderr)
            assert "".join(out).encode("latin-1") == ref.stdout, argv


def test_error_statuses_match(tmp_path: Path) -> None:
    assert BIN is not None
    qrels, run = write_case(tmp_path, 7)
    (tmp_path / "dup").write_text("q0 Q0 d1 1 1 r\nq0 Q0 d1 2 0.5 r\n")
    for argv in (
        ["-m", "P.0", str(qrels), str(run)],
        ["-m", "nonesuch", str(qrels), str(run)],
        [str(qrels), str(tmp_path / "dup")],
        ["-q", str(qrels), str(tmp_path / "missing")],
    ):
        ref = subprocess.run([BIN, *argv], capture_output=True, check=False)
        out: list[str] = []
        rc = run_command(argv, out.append, lambda s: None)
        assert (rc, "".join(out).encode("latin-1")) == (ref.returncode, ref.stdout), argv
