"""Checks on the files and folders a command is given, before any work: one clear line each."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from ir_harness.errors import ConfigError


def require_file(path: str | Path, what: str) -> None:
    """``path`` is a readable regular file (and, for ``.gz``, a complete gzip stream)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{what} {p}: no such file")
    if p.is_dir():
        raise ConfigError(f"{what} {p}: is a folder, expected a file")
    if not os.access(p, os.R_OK):
        raise ConfigError(f"{what} {p}: not readable (permission denied)")
    if p.suffix == ".gz":
        try:
            with gzip.open(p, "rb") as f:
                while f.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as e:
            raise ConfigError(f"{what} {p}: not a valid gzip file ({e})") from None


def require_dir(path: str | Path, what: str) -> None:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{what} {p}: no such folder")
    if not p.is_dir():
        raise ConfigError(f"{what} {p}: is a file, expected a folder")


def check_writable_dir(path: str | Path, what: str) -> None:
    """``path`` is, or can become, a folder this process may write into."""
    p = Path(path)
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(f"{what} {p}: {probe} is a file, expected a folder")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {p}: {probe} is not writable")
