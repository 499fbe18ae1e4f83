"""Our own plugins come from the plugin folders' tables: a new line there needs no reinstall."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import ir_harness.plugin_tables as tables
from ir_harness.errors import ConfigError
from ir_harness.registry import TASK_GROUP, Registry

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def table_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Plugin tables read from ``tmp_path`` instead of the checkout, with a fresh cache."""
    monkeypatch.setattr(tables, "table_paths", lambda: sorted(tmp_path.glob("*.toml")))
    tables._tables.cache_clear()
    yield tmp_path
    tables._tables.cache_clear()


def test_a_line_in_a_table_is_a_plugin_without_reinstalling(table_dir: Path) -> None:
    (table_dir / "a.toml").write_text('[tasks]\nmy-task = "json:dumps"\n', encoding="utf-8")
    reg: Registry[object] = Registry("task", TASK_GROUP)
    assert "my-task" in reg
    import json

    assert reg.get("my-task") is json.dumps


def test_a_name_in_two_tables_with_two_targets_is_refused(table_dir: Path) -> None:
    (table_dir / "a.toml").write_text('[tasks]\nx = "json:dumps"\n', encoding="utf-8")
    (table_dir / "b.toml").write_text('[tasks]\nx = "json:loads"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"b\.toml: tasks\.x is also 'json:dumps'"):
        tables.builtin_plugins(TASK_GROUP)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tasks\n", "not a readable plugin table"),
        ("[tasks]\nx = 3\n", r'\[tasks\] must map names to "module:attribute" strings'),
        ('[tasks]\nx = "no_colon"\n', r'\[tasks\] must map names to "module:attribute" strings'),
    ],
)
def test_a_broken_table_names_its_file(table_dir: Path, text: str, message: str) -> None:
    (table_dir / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as e:
        tables.builtin_plugins(TASK_GROUP)
    assert "bad.toml" in str(e.value)


def test_every_table_target_is_importable_by_its_name() -> None:
    """Each line of the real tables names a module and attribute that exist (imports them all)."""
    for path in tables.table_paths():
        for table, entries in tomllib.loads(path.read_text(encoding="utf-8")).items():
            for name, target in entries.items():
                obj = tables.PluginTarget(name, target).load()
                assert obj is not None, f"{path}: {table}.{name}"


def test_our_distribution_declares_no_entry_points() -> None:
    """One list of our plugins: the tables, not a second copy in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "entry-points" not in project
