"""Plugin commands come from the ``harness.commands`` entry-point group, loaded on demand."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING

from typer.testing import CliRunner

import ir_harness.cli as cli
from ir_harness.cli import app

if TYPE_CHECKING:
    import pytest


def test_installed_plugin_commands_are_entry_points() -> None:
    names = set(cli.plugin_entry_points())
    assert {"train", "starbucks-grid", "build-tree", "convert-candidates", "demo"} <= names


def test_help_lists_core_and_plugin_commands() -> None:
    r = CliRunner().invoke(app, ["--help"])
    assert r.exit_code == 0, r.output
    for name in ("list", "run", "eval", "train", "build-tree", "convert-candidates"):
        assert name in r.output


def test_listing_loads_no_plugin_command_module() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from ir_harness.cli import app;"
        "r = CliRunner().invoke(app, ['list', 'systems', '--json']); assert r.exit_code == 0;"
        "print(sorted(m for m in sys.modules if m.startswith(('systems', 'tasks'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_plugin_command_runs_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = type(sys)("fake_plugin")
    monkeypatch.setitem(sys.modules, "fake_plugin", plugin)

    def hello(name: str = "world") -> None:
        """Say hello."""
        print(f"hello {name}")

    plugin.register = lambda a: a.command("hello")(hello)  # type: ignore[attr-defined]
    eps = {"hello": EntryPoint("hello", "fake_plugin:register", cli.COMMAND_GROUP)}
    monkeypatch.setattr(cli, "plugin_entry_points", lambda: eps)
    r = CliRunner().invoke(app, ["hello", "--name", "there"])
    assert r.exit_code == 0, r.output
    assert r.output == "hello there\n"
    assert "Say hello." in CliRunner().invoke(app, ["--help"]).output


def test_broken_plugin_command_names_itself_and_keeps_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eps = {"broken": EntryPoint("broken", "no_such_module_xyz:register", cli.COMMAND_GROUP)}
    monkeypatch.setattr(cli, "plugin_entry_points", lambda: eps)
    r = CliRunner().invoke(app, ["broken"])
    assert r.exit_code == 2
    assert "no_such_module_xyz" in r.output
    assert CliRunner().invoke(app, ["list", "systems", "--json"]).exit_code == 0


def test_listing_a_family_without_fixed_subsets_names_no_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from ir_harness.registry import TASKS

    class Open:
        description = "any folder"

        def subsets(self) -> list[str]:
            return []

    monkeypatch.setattr(TASKS, "names", lambda: ["open"])
    monkeypatch.setattr(TASKS, "get", lambda name: Open)
    r = CliRunner().invoke(app, ["list", "tasks", "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.output)[0]
    assert row == {
        "name": "open",
        "subsets": [],
        "description": "any folder",
        "main_metric": "per subset",
        "sources": [],
    }
