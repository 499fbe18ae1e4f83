"""Running out of disk or memory ends a run with one line naming the path (disk) or saying what
ran out (memory), never a traceback, and stores no result.

A full disk is simulated with ``ulimit -f`` (writes past the limit fail with EFBIG, the same short
write numpy and pyarrow report for ENOSPC); memory with ``ulimit -v``."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.probe.helpers import REPO, Answer, assert_clean_error, probe_env

if TYPE_CHECKING:
    from pathlib import Path


def _limited(limit: str, tmp_path: Path, *args: str) -> Answer:
    cmd = " ".join(
        [f"ulimit {limit};", sys.executable, "-m", "tests.probe.launcher", "run", "-s", "hashing"]
        + ["--device", "cpu", "--quiet", "--results", str(tmp_path / "r"), *args]
    )
    p = subprocess.run(
        ["bash", "-c", cmd],
        cwd=REPO,
        env=probe_env(HARNESS_CACHE_DIR=str(tmp_path / "cache"), OPENBLAS_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Answer(p.returncode, p.stdout, p.stderr)


@pytest.mark.parametrize(
    "limit_kb,names",
    [
        (150, ("cache/corpora", "writing the corpus store failed", "disk full")),
        (400, ("cache/embstore", "cannot write", "shard-00000.npy", "disk full")),
    ],
    ids=["corpus-store", "embedding-shard"],
)
def test_disk_full_names_the_file(tmp_path: Path, limit_kb: int, names: tuple[str, ...]) -> None:
    # synthetic/500: docs.arrow ~190 KB, one 500-row shard of 384 floats ~770 KB
    a = _limited(f"-f {limit_kb}", tmp_path, "-t", "synthetic/500", "-o", "shard_rows=500")
    assert_clean_error(a, *names)
    assert len(a.err.strip().splitlines()) == 1, a.err
    assert not list((tmp_path / "r").glob("*/*/metrics.json"))


@pytest.mark.parametrize("limit_kb", [400_000, 900_000])
def test_out_of_memory_is_one_line(tmp_path: Path, limit_kb: int) -> None:
    """400 MB fails while loading libraries, 900 MB while encoding 300,000 documents (here)."""
    a = _limited(f"-v {limit_kb}", tmp_path, "-t", "synthetic/300000")
    assert_clean_error(a, "out of memory", rc=1)
    assert len(a.err.strip().splitlines()) == 1, a.err
    assert not list((tmp_path / "r").glob("*/*/metrics.json"))
