"""Checks on the files and folders a command is given, before any work: one clear line each."""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import shutil
import stat
import sys
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from ir_harness.errors import ConfigError, DataFormatError, HarnessError

if TYPE_CHECKING:
    from collections.abc import Iterator

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | Path) -> bool:
    """Whether to read a file as gzip: its magic bytes say so (``run.GZ``, a gzip file with no
    suffix), or its name ends in ``.gz`` (a file so named that is not gzip then fails as "not a
    valid gzip file" instead of being read as something else). A pipe is not peeked at (that
    would eat its first bytes): its suffix decides."""
    p = Path(path)
    if p.suffix.lower() == ".gz":
        return True
    try:
        if not stat.S_ISREG(p.stat().st_mode):
            return False
        with open(p, "rb") as f:
            return f.read(2) == GZIP_MAGIC
    except OSError:
        return False


def with_path(e: OSError, path: str | Path, doing: str) -> OSError:
    """``e`` if it names a file, else an OSError naming ``path`` (a short write from numpy,
    "N requested and M written", or pyarrow's "Error writing bytes" names none)."""
    if e.filename is not None:
        return e
    hint = "; is the disk full?" if e.errno in (None, errno.ENOSPC, errno.EFBIG) else ""
    return OSError(e.errno, f"{doing} failed ({e}){hint}", str(path))


@contextlib.contextmanager
def regular_file(path: str | Path, what: str) -> Iterator[Path]:
    """``path`` as a regular file: ``-`` (stdin), a pipe (``<(cat run)``, ``/dev/stdin``) or
    another stream is copied once into a temporary file (removed afterwards), because the
    readers open a file more than once (the fast reader, then the line reader on a problem)."""
    p = Path(path)
    if str(path) != "-":
        try:
            mode = p.stat().st_mode
        except OSError:
            yield p  # require_file says what is wrong with it
            return
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            yield p
            return
    name = "stdin" if str(path) == "-" else (p.name or "stream")
    with tempfile.TemporaryDirectory(prefix="harness-stream-") as tmp:
        copy = Path(tmp) / name
        try:
            with open(copy, "wb") as dst:
                if str(path) == "-":
                    shutil.copyfileobj(sys.stdin.buffer, dst, 1 << 20)
                else:
                    with open(p, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as e:
            raise ConfigError(f"{what} {path}: cannot read it ({e.strerror or e})") from None
        try:
            yield copy
        except HarnessError as e:
            raise _renamed(e, str(copy), "<stdin>" if str(path) == "-" else str(path)) from None


def _renamed(e: HarnessError, temp: str, shown: str) -> HarnessError:
    """``e`` with the temporary copy's path replaced by what the user gave (``-`` shows as
    ``<stdin>``), so an error in a piped run names the user's input, not a file that is gone."""
    if temp not in str(e):
        return e
    if isinstance(e, DataFormatError):
        out: HarnessError = type(e)(
            e.path.replace(temp, shown), e.line, e.problem.replace(temp, shown), e.expected
        )
    else:
        try:
            out = type(e)(str(e).replace(temp, shown))
        except TypeError:  # an error class with another constructor: keep it as it is
            return e
    return out


def require_file(path: str | Path, what: str) -> None:
    """``path`` is a readable regular file (and, for ``.gz``, a complete gzip stream)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{what} {p}: no such file")
    if p.is_dir():
        raise ConfigError(f"{what} {p}: is a folder, expected a file")
    if not os.access(p, os.R_OK):
        raise ConfigError(f"{what} {p}: not readable (permission denied)")
    if is_gzip(p):
        try:
            with gzip.open(p, "rb") as f:
                while f.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as e:
            raise ConfigError(f"{what} {p}: not a valid gzip file ({e})") from None


def require_dir(path: str | Path, what: str) -> None:
    """``path`` is an existing folder, else one ``ConfigError`` line naming ``what``."""
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
