"""SIGTERM as an exception in the main thread, held back while third-party code runs.

The CLI installs ``on_sigterm``: a SIGTERM raises ``Terminated`` where the main thread is, so a
run unwinds like Ctrl-C (locks released, temp files removed) and exits 143. Raised inside Ray's
own Python code (``ray.init`` half done, an actor being created), that unwinding leaves Ray's
native core worker in a state its C++ exit path aborts on (SIGABRT). Code that calls into such
a library wraps the calls in ``deferred_sigterm()``: a signal that lands there is only noted,
and raised by ``raise_if_terminated()`` at the next point of our own code, or when the block
ends.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the run unwinds like Ctrl-C and exits 143."""


_state = {"depth": 0, "pending": False}


def on_sigterm(signum: int, frame: object) -> None:
    """The CLI's SIGTERM handler (Python runs it in the main thread)."""
    if _state["depth"]:
        _state["pending"] = True
        return
    raise Terminated


def raise_if_terminated() -> None:
    """Raise the SIGTERM that arrived inside a ``deferred_sigterm`` block, if one did."""
    if _state["pending"] and threading.current_thread() is threading.main_thread():
        _state["pending"] = False
        raise Terminated


@contextlib.contextmanager
def deferred_sigterm() -> Iterator[None]:
    """Hold ``on_sigterm`` back inside the block (main thread only; other threads never run
    Python signal handlers); the signal is raised at ``raise_if_terminated()`` or on leaving."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if not _state["depth"]:
            raise_if_terminated()  # also over another exception: the signal decides the exit
