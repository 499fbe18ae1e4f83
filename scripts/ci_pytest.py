"""pytest for CI (tox -e py311): exit 5, "no tests collected", fails with a message instead of
passing unnoticed or failing without one (a wrong path or -k selection, a broken conftest)."""

from __future__ import annotations

import sys

import pytest

if __name__ == "__main__":
    rc = int(pytest.main(sys.argv[1:]))
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"error: pytest collected no tests (args: {sys.argv[1:]})", file=sys.stderr)
        sys.exit(1)
    sys.exit(rc)
