"""Environment capture for reproducibility metadata: git sha, package versions, hardware."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

_PACKAGES = (
    "ir-harness",
    "ranx",
    "numpy",
    "torch",
    "transformers",
    "sentence-transformers",
    "pyserini",
    "faiss-cpu",
    "ir-datasets",
    "mteb",
    "pydantic",
)


def package_versions(names: tuple[str, ...] = _PACKAGES) -> dict[str, str]:
    """Installed version of each of ``names`` that is installed; the others are left out."""
    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            continue
    return out


@lru_cache(maxsize=1)
def git_sha() -> str:
    """The harness checkout's commit (with ``-dirty`` when it has changes), or '' outside git."""
    root = (
        Path(__file__).resolve().parents[3]
    )  # harness/ir_harness/store/envinfo.py -> the checkout
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return sha + ("-dirty" if sha and dirty else "")


def hardware(device: str) -> dict[str, Any]:
    """Platform, Python, CPU and memory of this machine and the run's ``device``; the GPU's name
    only for a CUDA device once torch is loaded (never imports torch itself)."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": device,
    }
    try:
        info["memory_gb"] = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
        )
    except (ValueError, OSError, AttributeError):
        pass
    if device.startswith("cuda") and "torch" in sys.modules:
        import torch

        info["gpu"] = torch.cuda.get_device_name(0)
    return info
