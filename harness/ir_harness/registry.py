"""Lazy registries of tasks and systems, filled from our plugin tables and entry points.

Our own plugins come from the plugin folders' ``plugins.toml`` (``ir_harness.plugin_tables``);
third parties register by adding a line to their own package's
``[project.entry-points."harness.tasks"]`` or ``."harness.systems"`` table. Both are read as
text only; a plugin module is imported when its name is used, so ``harness list`` never imports
torch or pyserini.
"""

from __future__ import annotations

import difflib
import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ir_harness.errors import UnknownNameError
from ir_harness.plugin_tables import PluginTarget, plugins

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

TASK_GROUP = "harness.tasks"
SYSTEM_GROUP = "harness.systems"


class Registry(Generic[T]):
    """Name -> lazily imported object, with "did you mean" errors."""

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, PluginTarget] = {}
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
            self._entries.update(plugins(self.group or ""))
            self._scanned = True

    def register(self, name: str, target: str | Callable[..., T] | type) -> None:
        """Register a ``"module:attr"`` string or an object (tests, notebooks)."""
        self._scan()
        if isinstance(target, str):
            self._entries[name] = PluginTarget(name, target)
        else:
            self._entries[name] = PluginTarget(
                name,
                f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', name)}",
                target,
            )

    def names(self) -> list[str]:
        """Every registered name, sorted, for listings and error messages."""
        self._scan()
        return sorted(self._entries)

    def target(self, name: str) -> str:
        """The ``module:attr`` a name points at, without importing it."""
        return self._entry(name).value

    def _entry(self, name: str) -> PluginTarget:
        self._scan()
        if name not in self._entries:
            close = difflib.get_close_matches(name, self._entries, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names())})"
            )
        return self._entries[name]

    def get(self, name: str) -> T:
        """The object under ``name``, imported on first use; unknown names suggest close ones."""
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
