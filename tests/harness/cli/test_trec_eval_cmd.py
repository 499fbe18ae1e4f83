"""``harness trec-eval`` is registered, passes its flags through untouched, keeps trec_eval's
exit statuses, and loading the CLI imports none of the trec_eval engine."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = "from ir_harness.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, check=False
    )


def test_flags_reach_trec_eval_and_statuses_come_back(tmp_path: Path) -> None:
    (tmp_path / "q").write_text("1 0 a 1\n1 0 b 0\n")
    (tmp_path / "r").write_text("1 Q0 b 1 2 run7\n1 Q0 a 2 1 run7\n")
    ok = harness("trec-eval", "q", "r", "-qm", "recip_rank", "--nosummary", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == b"recip_rank            \t1\t0.5000\n"
    bad = harness("trec-eval", "-m", "nonesuch", "q", "r", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stdout == b""
    assert bad.stderr == b"trec_eval: illegal measure 'nonesuch'\n"
    version = harness("trec-eval", "-v", cwd=tmp_path)
    assert (version.returncode, version.stderr) == (0, b"trec_eval version 10.0-rc3\n")


def test_loading_the_cli_imports_no_trec_eval_module() -> None:
    code = (
        "import sys; import ir_harness.cli;"
        "print(sorted(m for m in sys.modules if m.startswith('ir_harness.trec_eval')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
