"""The project's own plugins, read from the ``plugins.toml`` of each plugin folder.

Our tasks, systems, oracle group sources, plots and commands are listed in ``tasks/plugins.toml``,
``systems/plugins.toml`` and ``leaderboard/plugins.toml`` rather than in pyproject's entry points,
so adding one is a line in its folder's table and needs no reinstall of the package. Reading a
table imports nothing; third-party packages keep registering through entry points.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ir_harness.errors import ConfigError

PLUGIN_FOLDERS = ("tasks", "systems", "leaderboard")
TABLE_NAME = "plugins.toml"
GROUP_PREFIX = "harness."


@dataclass
class PluginTarget:
    """A named ``"module:attr"`` target, imported on first ``load()`` (an entry point's shape)."""

    name: str
    value: str
    loaded: Any = None

    def load(self) -> Any:
        """Imports the target on first use only, so reading a table stays free of plugin imports."""
        if self.loaded is None:
            module, _, attr = self.value.partition(":")
            obj: Any = import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
            self.loaded = obj
        return self.loaded


def table_paths() -> list[Path]:
    """The plugin tables of this installation (the folders sit beside the core package)."""
    root = Path(__file__).resolve().parent
    return [root / folder / TABLE_NAME for folder in PLUGIN_FOLDERS]


@cache
def _tables() -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for path in table_paths():
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: not a readable plugin table ({e})") from e
        for table, entries in data.items():
            if not isinstance(entries, dict) or not all(
                isinstance(v, str) and ":" in v for v in entries.values()
            ):
                raise ConfigError(f'{path}: [{table}] must map names to "module:attribute" strings')
            group = groups.setdefault(GROUP_PREFIX + table, {})
            for name, target in entries.items():
                if name in group and group[name] != target:
                    raise ConfigError(
                        f"{path}: {table}.{name} is also {group[name]!r} in another plugin table"
                    )
                group[name] = target
    return groups


def builtin_plugins(group: str) -> dict[str, str]:
    """The project's own ``name -> "module:attr"`` for an entry-point group (e.g. harness.tasks)."""
    return dict(_tables().get(group, {}))


def plugins(group: str) -> dict[str, PluginTarget]:
    """Our own plugins of ``group``, then installed packages' entry points (ours win a clash)."""
    found = {name: PluginTarget(name, target) for name, target in builtin_plugins(group).items()}
    for ep in entry_points(group=group):
        found.setdefault(ep.name, PluginTarget(ep.name, ep.value))
    return found
