"""Dependencies point one way: no import cycles among the project's modules, the core
(``ir_harness`` from ``harness/``, with ``kernels`` and ``leaderboard``) never imports the plugins
(``ir_harness.tasks``, ``ir_harness.systems``), and systems never import tasks.

The graph is built from the source with ``ast`` (every import statement, including those inside
functions and ``TYPE_CHECKING`` blocks), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# folder -> installed import name (pyproject.toml's package-dir)
PACKAGES = {
    "harness": "ir_harness",
    "tasks": "ir_harness.tasks",
    "systems": "ir_harness.systems",
    "kernels": "ir_harness.kernels",
    "leaderboard": "ir_harness.leaderboard",
}
PLUGIN_AREAS = ("tasks", "systems")


def _module_name(path: Path) -> str:
    folder, *parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGES[folder], *parts])


def area(module: str) -> str:
    """``tasks``, ``systems``, ``kernels``, ``leaderboard`` or ``core`` (the rest of ir_harness)."""
    parts = module.split(".")
    if parts[0] == "ir_harness" and len(parts) > 1 and parts[1] in PACKAGES:
        return parts[1]
    return "core"


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        _module_name(p): p
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module ``name`` refers to (the longest known prefix), or None if external."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in ``path`` (``from pkg import mod`` counts ``pkg.mod``)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{a.name}" for a in node.names] + [prefix]
        for n in names:
            target = _resolve(n, modules)
            if target is not None and target != module:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph = {m: imports_of(m, p, modules) for m, p in modules.items()}
    # importing a.b.c runs a/__init__ and a/b/__init__ first; the package's own modules may
    # import each other freely, so only edges to other modules count (no parent edges).
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    sccs: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        sccs.append(sorted(comp))
    return sccs


def forbidden_edges(graph: dict[str, set[str]]) -> list[str]:
    """Imports against the one-way rule: harness -> tasks/systems, systems -> tasks."""
    rules = {
        "core": PLUGIN_AREAS,
        "kernels": PLUGIN_AREAS,
        "leaderboard": PLUGIN_AREAS,
        "systems": ("tasks",),
    }
    bad = []
    for src, targets in sorted(graph.items()):
        banned = rules.get(area(src), ())
        bad += [f"{src} -> {t}" for t in sorted(targets) if area(t) in banned]
    return bad


def private_core_imports() -> list[str]:
    """Plugins (and the site) importing a private name (``_x``) from the core."""
    bad = []
    for module, path in sorted(project_modules().items()):
        if area(module) == "core":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            mod = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if mod.startswith("ir_harness") and area(mod) == "core":
                bad += [
                    f"{module} -> {node.module}.{a.name}" for a in node.names if a.name[0] == "_"
                ]
    return bad


def old_namespace_imports() -> list[str]:
    """Imports of the folder names (``harness``, ``tasks``...): they exist only in a checkout and
    would load a second copy of a module next to its ``ir_harness`` twin."""
    bad = []
    for module, path in sorted(project_modules().items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            bad += [f"{module} -> {n}" for n in names if n.split(".")[0] in PACKAGES]
    return bad


def test_every_module_is_imported_under_the_one_namespace() -> None:
    assert old_namespace_imports() == []


def test_no_import_cycles() -> None:
    assert find_cycles(import_graph()) == []


def test_core_never_imports_plugins_and_systems_never_import_tasks() -> None:
    assert forbidden_edges(import_graph()) == []


def test_plugins_use_only_public_core_helpers() -> None:
    assert private_core_imports() == []


def test_no_comment_points_at_documents_outside_the_repository() -> None:
    outside = ("systems-spec", "spec \u00a7", "shared/docs")
    hits = [
        f"{m}: {word}"
        for m, p in project_modules().items()
        for word in outside
        if word in p.read_text(encoding="utf-8")
    ]
    assert hits == []


def test_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n    import pkg.c\n")
    (pkg / "b.py").write_text("from .a import f\n")
    (pkg / "c.py").write_text("")
    modules = {"pkg": pkg / "__init__.py", "pkg.a": pkg / "a.py", "pkg.b": pkg / "b.py"}
    modules["pkg.c"] = pkg / "c.py"
    graph = {m: imports_of(m, p, modules) for m, p in modules.items()}
    assert graph["pkg.a"] == {"pkg", "pkg.b", "pkg.c"}
    assert find_cycles(graph) == [["pkg.a", "pkg.b"]]


def test_forbidden_edges_are_reported() -> None:
    graph = {
        "ir_harness.x": {"ir_harness.tasks.y", "ir_harness.z"},
        "ir_harness.kernels.k": {"ir_harness.systems.s"},
        "ir_harness.systems.s": {"ir_harness.tasks.y"},
        "ir_harness.tasks.y": set(),
    }
    assert forbidden_edges(graph) == [
        "ir_harness.kernels.k -> ir_harness.systems.s",
        "ir_harness.systems.s -> ir_harness.tasks.y",
        "ir_harness.x -> ir_harness.tasks.y",
    ]
