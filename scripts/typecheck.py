"""mypy over the installed namespace (tox -e types).

harness/ is the source root: the core package is harness/ir_harness/ and the design card's other
folders (tasks/, systems/, kernels/, leaderboard/) are linked into it, so ``mypy -p ir_harness``
run in harness/ sees exactly the installed package. Errors name ``ir_harness/...`` paths
(``ir_harness/tasks/x.py`` is ``tasks/x.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    cmd += ["--cache-dir", str(ROOT / ".mypy_cache")]  # not in harness/, the source root
    return subprocess.call([*cmd, "-p", "ir_harness", *sys.argv[1:]], cwd=ROOT / "harness")


if __name__ == "__main__":
    sys.exit(main())
