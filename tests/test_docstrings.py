"""Every public function, method and class says why it exists in a docstring.

Public: the name and every enclosing class name do not start with ``_``. Counted in the core
(``harness/ir_harness``, its linked folders once through their real paths) and in ``tasks/``,
``systems/``, ``kernels/`` and ``leaderboard/``; tests are not counted. Excluded by rule: dunder
methods (their meaning is Python's), ``typing.overload`` stubs (the implementation documents
them) and property getters/setters whose body is one ``return`` (an accessor; its name says what
it returns).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("harness/ir_harness", "tasks", "systems", "kernels", "leaderboard")


def _files(root: Path, folders: tuple[str, ...]) -> list[Path]:
    seen: set[Path] = set()
    out = []
    for folder in folders:
        for p in sorted((root / folder).rglob("*.py")):
            real = p.resolve()
            if "__pycache__" in p.parts or real in seen:
                continue
            seen.add(real)
            out.append(real)
    return out


def _trivial_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    decorated = any(
        (isinstance(d, ast.Name) and d.id == "property")
        or (isinstance(d, ast.Attribute) and d.attr in ("setter", "getter"))
        for d in node.decorator_list
    )
    return decorated and len(node.body) == 1 and isinstance(node.body[0], ast.Return | ast.Assign)


def _overload(node: ast.AST) -> bool:
    """A ``typing.overload`` stub: its signature is documented by the implementation below it."""
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in getattr(node, "decorator_list", [])
    )


def undocumented(root: Path = ROOT, folders: tuple[str, ...] = FOLDERS) -> set[str]:
    """``path::Qualified.name`` of every public definition without a docstring."""
    out: set[str] = set()
    for path in _files(root, folders):
        rel = path.relative_to(root.resolve()).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), rel)

        def visit(node: ast.AST, prefix: str, rel: str = rel) -> None:
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                name = child.name
                if name.startswith("_") or _overload(child):
                    continue  # private, a dunder, or an overload stub
                qual = f"{prefix}{name}"
                if ast.get_docstring(child) is None and not (
                    not isinstance(child, ast.ClassDef) and _trivial_property(child)
                ):
                    out.add(f"{rel}::{qual}")
                if isinstance(child, ast.ClassDef):
                    visit(child, f"{qual}.")

        visit(tree, "")
    return out


def test_every_public_definition_has_a_docstring() -> None:
    missing = sorted(undocumented())
    assert missing == [], "write a docstring saying why:\n" + "\n".join(missing)


def test_the_rules_see_methods_and_skip_dunders_private_names_and_accessors(
    tmp_path: Path,
) -> None:
    (tmp_path / "kernels").mkdir()
    (tmp_path / "kernels" / "m.py").write_text(
        "def f(): pass\n"
        "def _g(): pass\n"
        "class C:\n"
        '    """Doc."""\n'
        "    def __init__(self): pass\n"
        "    def m(self): pass\n"
        "    @property\n"
        "    def p(self): return 1\n"
        "class _P:\n"
        "    def hidden(self): pass\n"
        "@overload\n"
        "def o(x: int) -> int: ...\n"
        "def o(x):\n"
        '    """Doc."""\n'
    )
    assert undocumented(tmp_path, ("kernels",)) == {"kernels/m.py::f", "kernels/m.py::C.m"}
