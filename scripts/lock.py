"""Write requirements/lock.txt: the exact versions (and file hashes) of a venv that passed CI.

    .venv/bin/python scripts/lock.py            # after `bash scripts/test.sh` passed on .venv
    .venv/bin/python scripts/lock.py --check    # exit 1 when the lock differs from .venv

Every distribution installed in the running interpreter's environment is pinned (``==``), except
the project itself and the test plugin. Each pin carries the sha256 of the file pip picks for it
on this platform, read from ``pip install --dry-run --report`` (pip's own hash-checking mode reads
them). The header names the platform the hashes are for: ``scripts/setup.sh`` checks hashes only
on that platform and otherwise uses the versions alone.

torch is pinned but never hashed: its wheel differs between machines of the same platform (a
CPU-only build from a local wheel folder or PyTorch's CPU index, the CUDA build from PyPI), so
setup.sh installs it before the hash-checked phase, as it always did.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
OWN = {"ir-harness", "harness-test-plugin", "pip"}  # pip: whatever the venv came with
UNHASHED = {"torch"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Canonical name -> version of every distribution in this environment but our own."""
    out: dict[str, str] = {}
    for dist in md.distributions():
        name = canonical(dist.metadata["Name"])
        if name not in OWN:
            out[name] = dist.version
    return dict(sorted(out.items()))


def platform_tag() -> str:
    return f"{platform.system().lower()}-{platform.machine()}-cp{sys.version_info[0]}{sys.version_info[1]}"


def file_hashes(pins: dict[str, str]) -> dict[str, str]:
    """Canonical name -> sha256 of the file pip would install for that pin here."""
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "pins.txt"
        req.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        cmd += ["--no-deps", "-q", "--report", str(report), "-r", str(req)]
        subprocess.run(cmd, check=True)
        data = json.loads(report.read_text())
    out: dict[str, str] = {}
    for item in data["install"]:
        name = canonical(item["metadata"]["name"])
        info = item["download_info"].get("archive_info", {})
        digest = info.get("hashes", {}).get("sha256") or info.get("hash", "").partition("=")[2]
        if digest:
            out[name] = digest
    return out


def render(pins: dict[str, str], hashes: dict[str, str]) -> str:
    lines = [
        "# The versions CI last passed with (scripts/lock.py wrote this; do not edit by hand).",
        "# scripts/setup.sh installs against it: hash-checked on the platform below, the",
        "# versions alone elsewhere. Refresh: bash scripts/test.sh, then scripts/lock.py.",
        f"# platform: {platform_tag()}",
        "",
    ]
    for name, version in pins.items():
        line = f"{name}=={version}"
        if name in hashes and name not in UNHASHED:
            line += f" \\\n    --hash=sha256:{hashes[name]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare the lock with this environment")
    args = ap.parse_args()
    pins = installed()
    if args.check:
        have = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", LOCK.read_text(), re.M))
        diff = sorted(set(have.items()) ^ set(pins.items()))
        for name, version in diff:
            where = "lock" if have.get(name) == version else "venv"
            print(f"{where}: {name}=={version}")
        return 1 if diff else 0
    hashes = file_hashes(pins)
    LOCK.parent.mkdir(exist_ok=True)
    tmp = LOCK.with_suffix(".tmp")
    tmp.write_text(render(pins, hashes))
    tmp.replace(LOCK)
    unhashed = sorted(set(pins) - set(hashes) - UNHASHED)
    print(
        f"{LOCK.relative_to(ROOT)}: {len(pins)} pins, {len(hashes)} hashes"
        + (f"; no hash for {', '.join(unhashed)}" if unhashed else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
