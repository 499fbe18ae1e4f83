"""A real ``harness run --system bm25`` stopped while the JVM is up: it exits with
one line (143 for SIGTERM, 130 for Ctrl-C) and leaves no ``hs_err_pid*.log`` in the working
directory; any JVM crash log would go under the cache folder."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

import pytest

from tests.probe.helpers import launch, probe_env

if TYPE_CHECKING:
    from pathlib import Path

pytest.importorskip("pyserini")


# SIGINT with the JVM up takes the same path (Python handles it because of -Xrs); one JVM case
# keeps the probe suite short.
@pytest.mark.parametrize("sig,rc", [(signal.SIGTERM, 143)], ids=["sigterm"])
def test_stop_with_jvm_running(sig: int, rc: int, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = probe_env(HARNESS_CACHE_DIR=str(cache))
    # 50,000 generated passages: Lucene is still indexing when the signal comes (the 16-passage
    # demo can finish inside the wait below, and then there is nothing left to interrupt)
    args = ("run", "-s", "bm25", "-t", "synthetic/50000", "--device", "cpu",
            "--results", str(tmp_path / "r"))  # fmt: skip
    p = launch(*args, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 180
    # the JVM is up once its log lines appear or the Lucene cache folder is created
    while not (cache / "lucene").exists():
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    assert p.returncode == rc, err[-2000:]
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("terminated", "interrupted")), err[-500:]
    assert not list(tmp_path.glob("hs_err_pid*.log"))
    # no result and no task folder (the checkpoint in r/.partial is what a re-run resumes from)
    stored = [d.name for d in (tmp_path / "r").glob("*") if not d.name.startswith(".")]
    assert stored == []
