"""Handing freed heap memory back to the operating system.

Why: glibc keeps the memory of freed blocks below its (self-raising) mmap threshold in the
heap; after a column parser frees its block buffers, a process's resident size stays about
100 MB above what it holds, and the peak of everything allocated later stacks on top of it.
pyarrow's own pool (mimalloc) keeps pages the same way.
"""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc.malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_freed_memory() -> None:
    """Return free heap pages to the OS where the C library can (glibc's ``malloc_trim``), and
    pyarrow's pool's cached pages where pyarrow is loaded."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
