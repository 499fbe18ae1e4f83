"""The wheel's package list in pyproject.toml names every package folder, under one namespace."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_folder_under_ir_harness() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders: dict[str, str] = tool["package-dir"]
    expected = set()
    for name, folder in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join([name, *rel]))
    assert set(tool["packages"]) == expected
    assert {p.split(".")[0] for p in tool["packages"]} == {"ir_harness"}
