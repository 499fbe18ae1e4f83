"""The package layout: one installed namespace, and no folder of a checkout that shadows an
installed distribution, whatever directory a Python process starts in."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOT = ROOT / "harness"
# Libraries whose import broke when the checkout's kernels/ was a package (transformers 5 imports
# Hugging Face's `kernels`), and the bare names of the design card's folders.
THIRD_PARTY = ["transformers", "sentence_transformers", "ranx", "mteb", "kernels"]
DESIGN_FOLDERS = ["harness", "tasks", "systems", "kernels", "leaderboard"]


def test_pyproject_lists_every_package_folder_under_ir_harness() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert tool["package-dir"] == {"": "harness"}
    expected = set()
    for folder, _dirs, files in os.walk(SOURCE_ROOT / "ir_harness", followlinks=True):
        if "__pycache__" not in folder and any(f.endswith(".py") for f in files):
            expected.add(".".join(Path(folder).relative_to(SOURCE_ROOT).parts))
    assert set(tool["packages"]) == expected
    assert {p.split(".")[0] for p in tool["packages"]} == {"ir_harness"}


def test_the_design_folders_are_linked_into_the_package_and_are_no_packages_themselves() -> None:
    for name in ("tasks", "systems", "kernels", "leaderboard"):
        link = SOURCE_ROOT / "ir_harness" / name
        assert link.is_symlink() and link.resolve() == ROOT / name
    top_level_packages = [p.parent.name for p in ROOT.glob("*/__init__.py")]
    assert top_level_packages == []
    assert [p for p in (ROOT / "tests").rglob("__init__.py") if "plugin_pkg" not in p.parts] == []
    made = ("__pycache__", "ir_harness.egg-info", ".mypy_cache")  # pip install -e, tools
    assert [p.name for p in SOURCE_ROOT.iterdir() if p.name not in made] == ["ir_harness"]


def _where_imports_resolve(cwd: Path, names: list[str]) -> dict[str, str | None]:
    """Start Python in ``cwd`` as a shell, a script or a notebook kernel would (the start folder
    first on sys.path) and import each name; its file, or the error."""
    code = (
        "import importlib, json, sys\n"
        "out = {}\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        m = importlib.import_module(name)\n"
        "        out[name] = getattr(m, '__file__', None) or str(list(m.__path__))\n"
        "    except ImportError as e:\n"
        "        out[name] = 'ImportError: ' + str(e)\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def in_checkout(where: str) -> bool:
    """Whether a module path (or a namespace's list of paths) lies in the checkout's own files,
    not in an installed venv (the checkout's .venv and tox's .tox/*-venv live under it too)."""
    if where.startswith("ImportError"):
        return False
    paths = ast.literal_eval(where) if where.startswith("[") else [where]
    venv = Path(sys.prefix).resolve()
    return any(
        (p := Path(raw).resolve()).is_relative_to(ROOT)
        and "site-packages" not in p.parts
        and not p.is_relative_to(venv)
        for raw in paths
    )


@pytest.mark.parametrize("start", ["checkout root", "tests", "notebook folder"])
def test_third_party_libraries_import_from_any_start_folder(start: str, tmp_path: Path) -> None:
    installed = [n for n in THIRD_PARTY if importlib.util.find_spec(n) is not None]
    if not installed:
        pytest.skip("none of the libraries is installed (the minimal profile)")
    cwd = {"checkout root": ROOT, "tests": ROOT / "tests"}.get(start)
    if cwd is None:  # a notebooks/ folder inside the checkout, holding a notebook
        cwd = ROOT / "build" / f"notebooks-{os.getpid()}"
        cwd.mkdir(parents=True, exist_ok=True)
        (cwd / "analysis.ipynb").write_text("{}")
    found = _where_imports_resolve(cwd, installed)
    for name, where in found.items():
        assert where is not None and not where.startswith("ImportError"), (name, where)
        assert not in_checkout(where), f"{name} resolved into the checkout: {where}"


def test_no_design_folder_is_importable_as_a_package_by_its_bare_name() -> None:
    found = _where_imports_resolve(ROOT, DESIGN_FOLDERS)
    for name, where in found.items():
        # an installed distribution of that name wins; otherwise at most an empty namespace
        # portion of the folder, with no code (no __init__.py) and no module of ours loaded
        if where is not None and in_checkout(where):
            assert where.startswith("ImportError") or "__init__" not in where, (name, where)
