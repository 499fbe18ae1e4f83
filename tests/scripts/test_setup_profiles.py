"""scripts/setup.sh's two profiles and its stamp, run against a stand-in .venv that logs pip.

Why: demo.sh installs a subset of what test.sh needs; a demo-only venv taken for a full one
would make CI fail on missing packages, and a full venv must not be re-installed by demo.sh.
"""

from __future__ import annotations

import os
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


def clean_env() -> dict[str, str]:
    """The caller's environment without HARNESS_* settings: under ``tox -e newest``
    HARNESS_VENV names tox's real venv, which the stand-in checkout must never install into."""
    return {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}


def setup(checkout: Path, *args: str) -> list[str]:
    """Run setup.sh; return the pip/python calls it made."""
    log = checkout / ".venv" / "log"
    log.unlink(missing_ok=True)
    subprocess.run(["bash", "scripts/setup.sh", *args], cwd=checkout, check=True, env=clean_env())
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


LOCK = ROOT / "requirements" / "lock.txt"


def with_lock(checkout: Path, platform: str | None = None) -> Path:
    """The repository's lock in the stand-in checkout (its platform line rewritten if asked)."""
    (checkout / "requirements").mkdir(exist_ok=True)
    text = LOCK.read_text()
    if platform is not None:
        text = "\n".join(
            f"# platform: {platform}" if ln.startswith("# platform:") else ln
            for ln in text.splitlines()
        )
    (checkout / "requirements" / "lock.txt").write_text(text + "\n")
    return checkout


def test_the_full_profile_installs_the_lock_hash_checked_then_the_project(checkout: Path) -> None:
    plat = subprocess.run(["uname", "-sm"], capture_output=True, text=True).stdout.split()
    calls = setup(with_lock(checkout, f"{plat[0].lower()}-{plat[1]}-cp311"))
    pip = [c for c in calls if c.startswith("pip")]
    hashed = next(c for c in pip if "--require-hashes" in c)
    assert "--no-deps -r .venv/lock-hashed.txt" in hashed
    assert any(c.endswith("install -q --no-deps -e .") for c in pip)
    assert "pip check" in pip
    assert not [c for c in pip if "[all,llm]" in c]  # the lock, not a resolution
    lines = (checkout / ".venv" / "lock-hashed.txt").read_text().splitlines()
    reqs = [ln for ln in lines if "==" in ln]
    assert reqs and not [r for r in reqs if r.startswith("torch==")]
    assert all(lines[lines.index(r) + 1].strip().startswith("--hash=sha256:") for r in reqs)
    assert stamp(checkout) == "full"


def test_another_platform_and_the_demo_use_the_locks_versions_as_constraints(
    checkout: Path,
) -> None:
    full = [c for c in setup(with_lock(checkout, "darwin-arm64-cp311")) if c.startswith("pip")]
    assert any("-c .venv/lock-versions.txt" in c and "[all,llm]" in c for c in full)
    assert not [c for c in full if "--require-hashes" in c]
    pins = (checkout / ".venv" / "lock-versions.txt").read_text().splitlines()
    assert pins and all("==" in p and " " not in p for p in pins)
    (checkout / ".venv" / ".ir-harness-installed").unlink()
    demo = [c for c in setup(with_lock(checkout), "demo") if c.startswith("pip")]
    assert any("-c .venv/lock-versions.txt" in c and ".[dense,bm25]" in c for c in demo)


def test_harness_lock_none_resolves_the_newest_and_a_bad_mode_is_refused(
    checkout: Path,
) -> None:
    env = {"HARNESS_LOCK": "none", "PATH": "/usr/bin:/bin"}
    with_lock(checkout)
    subprocess.run(["bash", "scripts/setup.sh"], cwd=checkout, check=True, env=env)
    calls = (checkout / ".venv" / "log").read_text().splitlines()
    assert any("[all,llm]" in c and "-c " not in c for c in calls)
    r = subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=checkout,
        capture_output=True,
        text=True,
        env={**env, "HARNESS_LOCK": "latest"},
    )
    assert r.returncode == 2 and "HARNESS_LOCK" in r.stderr


def test_the_lock_pins_every_distribution_of_this_venv() -> None:
    """The lock is what CI passed with: a dependency added without refreshing it fails here."""
    import sys

    if os.environ.get("HARNESS_LOCK") == "none":
        pytest.skip("tox -e newest: the newest versions, not the lock")
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not the checkout's .venv")
    stamp_text = (ROOT / ".venv" / ".ir-harness-installed").read_text()
    if not stamp_text.startswith("full"):
        pytest.skip("a demo venv holds a subset of the lock")
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, f"venv and requirements/lock.txt differ:\n{r.stdout}"
