"""Run the real ``harness`` command in a subprocess and judge its answer the way a user would."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    rc: int
    out: str
    err: str


def probe_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OMP_NUM_THREADS": "1",
            "TQDM_DISABLE": "1",
            "PYTHONPATH": os.pathsep.join([str(REPO / "harness"), str(REPO)]),
        }
    )
    env.update(extra)
    return env


def launch(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[str]:
    """The harness entry point with the tiny test plugins registered (see launcher.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.probe.launcher", *args],
        cwd=cwd or REPO,
        env=env or probe_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def harness(*args: str, timeout: float = 300, **env: str) -> Answer:
    p = launch(*args, env=probe_env(**env))
    out, err = p.communicate(timeout=timeout)
    return Answer(p.returncode, out, err)


def assert_clean_error(a: Answer, *names: str, rc: int = 2) -> None:
    """Exit code ``rc``, no traceback, and the message names every one of ``names``."""
    assert "Traceback" not in a.err, a.err
    assert a.rc == rc, (a.rc, a.err[-2000:])
    for n in names:
        assert n in a.err, (n, a.err[-2000:])


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (byte-identity checks)."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
