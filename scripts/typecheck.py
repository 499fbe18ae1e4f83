"""mypy over the installed namespace (tox -e types).

The folders the design card keeps at the top (``harness/``, ``tasks/``, ...) are installed as one
package, ``ir_harness`` (pyproject.toml's package-dir). mypy does not follow the editable
install's import hook, so this lays out that namespace as a tree of symbolic links under
``build/typeview`` and checks ``-p ir_harness`` there; errors name ``build/typeview/...`` paths,
which mirror the folders one to one (``ir_harness/tasks/x.py`` is ``tasks/x.py``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW = ROOT / "build" / "typeview"


def build_view() -> Path:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    if VIEW.exists():
        shutil.rmtree(VIEW)
    top = VIEW / "ir_harness"
    top.mkdir(parents=True)
    mapped = {name: ROOT / folder for name, folder in tool["package-dir"].items()}
    core = mapped.pop("ir_harness")
    for entry in core.iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for name, folder in mapped.items():
        (VIEW / name.replace(".", "/")).symlink_to(folder)
    return VIEW


def main() -> int:
    view = build_view()
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    return subprocess.call([*cmd, "-p", "ir_harness", *sys.argv[1:]], cwd=view)


if __name__ == "__main__":
    sys.exit(main())
