"""Real ``harness run`` processes killed or interrupted mid-run, then resumed."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

import pytest

from tests.probe.helpers import harness, launch, probe_env

if TYPE_CHECKING:
    from pathlib import Path

RUN = ("run", "-t", "tiny", "--device", "cpu", "--quiet", "--results")


def _stall_then(sig: int, tmp_path: Path, results: Path) -> tuple[int, str]:
    progress = tmp_path / "progress"
    env = probe_env(PROBE_PROGRESS=str(progress), PROBE_STALL_AT="2", PROBE_QUERY_BATCH="1")
    p = launch(*RUN, str(results), "-s", "stalling", env=env)
    deadline = time.monotonic() + 120
    while not (progress.exists() and len(progress.read_text().splitlines()) >= 2):
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    return p.returncode, err


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The uninterrupted run file both kill cases must reproduce byte for byte."""
    d = tmp_path_factory.mktemp("clean")
    clean = harness(
        *RUN, str(d / "r"), "-s", "stalling", PROBE_PROGRESS=str(d / "p0"), PROBE_QUERY_BATCH="1"
    )
    assert clean.rc == 0, clean.err
    return (d / "r" / "tiny" / "stalling" / "run.trec").read_bytes()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "sigint"])
def test_killed_run_resumes_byte_identical(sig: int, tmp_path: Path, clean_run: bytes) -> None:
    results = tmp_path / "killed"
    rc, err = _stall_then(sig, tmp_path, results)
    if sig == signal.SIGINT:
        assert rc == 130, err
        assert "Traceback" not in err
        assert "interrupted" in err and len(err.strip().splitlines()) == 1, err
    else:
        assert rc == -signal.SIGKILL
    assert not (results / "tiny").exists()  # no result stored by a killed run
    progress = tmp_path / "after"
    resumed = harness(
        *RUN, str(results), "-s", "stalling", PROBE_PROGRESS=str(progress), PROBE_QUERY_BATCH="1"
    )
    assert resumed.rc == 0, resumed.err
    assert progress.read_text().split() == ["1", "q2", "2", "q3"]  # q1 was committed
    assert (results / "tiny" / "stalling" / "run.trec").read_bytes() == clean_run
