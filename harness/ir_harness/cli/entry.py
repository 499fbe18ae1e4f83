"""The console script's error handling: a clean one-line error for every fault a user can
cause (exit 2 for bad input or usage, 1 for out of memory, 130 for Ctrl-C, 143 for SIGTERM),
never a traceback."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from ir_harness.errors import HarnessError
from ir_harness.redact import redact_text
from ir_harness.run.signals import Terminated, on_sigterm

if TYPE_CHECKING:
    from collections.abc import Callable

INTERRUPTED = (
    "interrupted; finished query batches are checkpointed, re-run the same command to resume"
)


OUT_OF_MEMORY = (
    "out of memory: the process could not allocate what it needed (check ulimit -v / the "
    "container's memory limit; a smaller --batch-size or fewer --workers need less)"
)


def _stop_ray() -> None:
    if "ray" in sys.modules:  # only a run with --executor ray imported it
        from ir_harness.executors.ray_executor import shutdown_ray

        shutdown_ray()


def _exit_after_signal(code: int) -> None:
    """Exit with ``code`` after a signal unwound the run. When the run used Ray (already shut
    down by then), skip the interpreter's finalisation: Ray's C++ core, stopped mid-start by the
    signal, can abort there (SIGABRT) in a few runs in a hundred, after the message was printed.
    Nothing is lost: results are written by rename, temp folders were removed while unwinding."""
    if "ray" not in sys.modules:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _os_error_message(e: OSError) -> str:
    """One line for a file-system fault: the path and what went wrong."""
    what = e.strerror or str(e) or type(e).__name__
    if e.filename is not None:
        return f"{e.filename}: {what}"
    return what


def run_main(app: Callable[..., Any]) -> None:
    """Run a typer app as a console script: clean one-line errors, exit 2 for bad input or
    usage, 130 for Ctrl-C, 143 for SIGTERM.

    Typer bundles its own copy of click, so its usage errors are ``typer._click`` classes, and
    in non-standalone mode it turns Ctrl-C into a returned 130 rather than raising."""
    from typer import _click as tclick
    from typer.exceptions import Abort

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        try:
            rv = app(standalone_mode=False)
        finally:
            _stop_ray()  # before the message: no Ray process outlives the command
    except Terminated:
        print(INTERRUPTED.replace("interrupted", "terminated"), file=sys.stderr)
        _exit_after_signal(143)
    except HarnessError as e:
        print(f"error: {redact_text(str(e))}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        _exit_after_signal(130)
    except tclick.exceptions.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (Abort, EOFError) as e:  # typer turns EOFError (a truncated input) into Abort
        if isinstance(e, EOFError) or isinstance(e.__cause__, EOFError):
            print("error: unexpected end of input (a truncated file?)", file=sys.stderr)
            sys.exit(2)
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except MemoryError:
        print(f"error: {OUT_OF_MEMORY}", file=sys.stderr)
        sys.exit(1)
    except ImportError as e:  # a library's shared object could not be mapped: memory, not install
        if "failed to map segment" not in str(e) and "cannot allocate memory" not in str(e).lower():
            raise
        print(f"error: {OUT_OF_MEMORY} (loading {e.name or 'a library'}: {e})", file=sys.stderr)
        sys.exit(1)
    except (OSError, UnicodeDecodeError) as e:  # unreadable, missing, not-a-file, bad gzip
        msg = _os_error_message(e) if isinstance(e, OSError) else f"not UTF-8 text: {e}"
        print(f"error: {msg}", file=sys.stderr)
        sys.exit(2)
    if rv == 130:  # typer's non-standalone answer to KeyboardInterrupt
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    if isinstance(rv, int) and not isinstance(rv, bool):
        sys.exit(rv)
