"""Lazy registries of tasks and systems, filled from entry points.

Entry points are read from metadata only; a plugin module is imported when its name is used,
so ``harness list`` never imports torch or pyserini. Third parties register by adding a line to
their own package's ``[project.entry-points."harness.tasks"]`` or ``."harness.systems"`` table.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ir_harness.errors import UnknownNameError

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

TASK_GROUP = "harness.tasks"
SYSTEM_GROUP = "harness.systems"


@dataclass
class _Entry:
    name: str
    target: str  # "module:attr"
    loaded: Any = None

    def load(self) -> Any:
        if self.loaded is None:
            module, _, attr = self.target.partition(":")
            obj: Any = import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self.loaded = obj
        return self.loaded


class Registry(Generic[T]):
    """Name -> lazily imported object, with "did you mean" errors."""

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, _Entry] = {}
        self._scanned = group is None
        # Threads calling the API at once: the scan is filled completely before it is marked
        # done, under a lock, so no caller ever sees a scanned but empty registry.
        self._lock = threading.RLock()

    def _scan(self) -> None:
        if self._scanned:
            return
        with self._lock:
            if self._scanned:
                return
            for ep in entry_points(group=self.group or ""):
                self._entries.setdefault(ep.name, _Entry(ep.name, ep.value))
            self._scanned = True

    def register(self, name: str, target: str | Callable[..., T] | type) -> None:
        """Register a ``"module:attr"`` string or an object (tests, notebooks)."""
        self._scan()
        if isinstance(target, str):
            self._entries[name] = _Entry(name, target)
        else:
            self._entries[name] = _Entry(
                name,
                f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', name)}",
                target,
            )

    def names(self) -> list[str]:
        self._scan()
        return sorted(self._entries)

    def target(self, name: str) -> str:
        return self._entry(name).target

    def _entry(self, name: str) -> _Entry:
        self._scan()
        if name not in self._entries:
            close = difflib.get_close_matches(name, self._entries, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})"
            )
        return self._entries[name]

    def get(self, name: str) -> T:
        return self._entry(name).load()  # type: ignore[no-any-return]

    def __contains__(self, name: str) -> bool:
        self._scan()
        return name in self._entries


TASKS: Registry[Any] = Registry("task", TASK_GROUP)
SYSTEMS: Registry[Any] = Registry("system", SYSTEM_GROUP)


def split_task_name(name: str) -> tuple[str, str]:
    """``"beir/scifact"`` -> ``("beir", "scifact")``; the family is the registered name."""
    family, _, subset = name.partition("/")
    parts = subset.split("/") if subset else []
    if subset.startswith("/") or "\\" in subset or any(p in ("", ".", "..") for p in parts):
        from ir_harness.errors import ConfigError

        raise ConfigError(
            f"--task {name!r}: the subset must be a plain name (no '..', '.', empty or absolute"
            " parts), so a task never reads outside --data-dir"
        )
    return family, subset
