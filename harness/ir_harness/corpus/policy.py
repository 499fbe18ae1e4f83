"""When a corpus goes to the on-disk store instead of memory: a value the run carries
(``RunConfig.corpus_store``) and the corpus readers consult while that run loads its data."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ir_harness.errors import ConfigError, check_type

if TYPE_CHECKING:
    from collections.abc import Iterator

# Above these a corpus goes to the store: ~1M MS MARCO-sized passages.
DEFAULT_MIN_BYTES = 512 * 2**20
DEFAULT_MIN_DOCS = 1_000_000


@dataclass(frozen=True)
class StorePolicy:
    """A corpus file of at least ``min_bytes``, or an iterator source announcing at least
    ``min_docs`` documents, is streamed into the store (0 stores everything)."""

    min_bytes: int = DEFAULT_MIN_BYTES
    min_docs: int = DEFAULT_MIN_DOCS

    def __post_init__(self) -> None:
        for key in ("min_bytes", "min_docs"):
            value = getattr(self, key)
            check_type(key, value, int, "a whole number of at least 0")
            if value < 0:
                raise ConfigError(f"{key} {value}: expected a whole number of at least 0")


# The policy of the run loading data in this thread (a context variable: each thread and each
# ``evaluate`` call has its own).
_CURRENT: ContextVar[StorePolicy | None] = ContextVar("corpus_store_policy", default=None)
_DEFAULT = StorePolicy()


def current() -> StorePolicy:
    """The policy of the run loading data here (the defaults outside any run)."""
    return _CURRENT.get() or _DEFAULT


@contextlib.contextmanager
def using(policy: StorePolicy) -> Iterator[None]:
    """Load data under ``policy`` inside the ``with`` block."""
    token = _CURRENT.set(policy)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def adopt(policy: StorePolicy) -> None:
    """For a command line: ``policy`` for everything this thread loads from now on."""
    _CURRENT.set(policy)
