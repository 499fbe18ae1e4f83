"""scripts/setup.sh's two profiles and its stamp, run against a stand-in .venv that logs pip.

Why: demo.sh installs a subset of what test.sh needs; a demo-only venv taken for a full one
would make CI fail on missing packages, and a full venv must not be re-installed by demo.sh.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """scripts/setup.sh and pyproject.toml beside a .venv whose pip and python only log."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool, rc in (("pip", 0), ("python", 1)):  # python: "the plugin is not installed"
        log = f'echo "{tool} $*" >> "$(dirname "$0")/../log"'
        (bin_dir / tool).write_text(f"#!/bin/sh\n{log}\nexit {rc}\n")
        (bin_dir / tool).chmod(0o755)
    return tmp_path


def setup(checkout: Path, *args: str) -> list[str]:
    """Run setup.sh; return the pip/python calls it made."""
    log = checkout / ".venv" / "log"
    log.unlink(missing_ok=True)
    subprocess.run(["bash", "scripts/setup.sh", *args], cwd=checkout, check=True)
    return log.read_text().splitlines() if log.exists() else []


def stamp(checkout: Path) -> str:
    return (checkout / ".venv" / ".ir-harness-installed").read_text().split()[0]


def test_demo_profile_installs_no_llm_and_is_upgraded_by_a_full_set_up(checkout: Path) -> None:
    calls = setup(checkout, "demo")
    pip = " ".join(c for c in calls if c.startswith("pip"))
    assert ".[dense,bm25]" in pip and "llm" not in pip and "[all" not in pip
    assert stamp(checkout) == "demo"
    assert not [c for c in setup(checkout, "demo") if c.startswith("pip")]  # up to date
    full = " ".join(c for c in setup(checkout) if c.startswith("pip"))  # test.sh's call
    assert ".[all,llm]" in full and "tests/plugin_pkg" in full
    assert stamp(checkout) == "full"
    assert not [c for c in setup(checkout, "demo") if c.startswith("pip")]  # full covers demo


def test_changed_pyproject_reinstalls(checkout: Path) -> None:
    setup(checkout)
    with open(checkout / "pyproject.toml", "a") as f:
        f.write("\n# changed\n")
    assert any("[all,llm]" in c for c in setup(checkout))


def test_unknown_profile_is_refused(checkout: Path) -> None:
    r = subprocess.run(
        ["bash", "scripts/setup.sh", "gpu"], cwd=checkout, capture_output=True, text=True
    )
    assert r.returncode == 2 and "usage" in r.stderr
