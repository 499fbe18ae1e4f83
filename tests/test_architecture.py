"""Dependencies point one way: no import cycles among the project's modules, the core
(``ir_harness`` from ``harness/ir_harness/``, with ``kernels`` and ``leaderboard``) never imports the plugins
(``ir_harness.tasks``, ``ir_harness.systems``), and systems never import tasks.

The graph is built from the source with ``ast`` (every import statement, including those inside
functions and ``TYPE_CHECKING`` blocks), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# folder -> installed import name (harness/ is the source root; the other folders are linked into it)
PACKAGES = {
    "harness/ir_harness": "ir_harness",
    "tasks": "ir_harness.tasks",
    "systems": "ir_harness.systems",
    "kernels": "ir_harness.kernels",
    "leaderboard": "ir_harness.leaderboard",
}
PLUGIN_AREAS = ("tasks", "systems")


def _module_name(path: Path) -> str:
    folder = next(f for f in PACKAGES if path.is_relative_to(ROOT / f))
    parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
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
    """The project module ``name`` refers to (the longest known prefix), or None if external.

    ``ir_harness.kernels`` and the other linked folders are namespace packages (no module of
    their own): ``from ir_harness.kernels import topk`` imports ``topk`` and nothing above it."""
    namespaces = {v for v in PACKAGES.values() if v != "ir_harness"}
    while name and name not in namespaces:
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
            bare = {folder.split("/")[0] for folder in PACKAGES}
            bad += [f"{module} -> {n}" for n in names if n.split(".")[0] in bare]
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


# ---------------------------------------------------------------- the core names no plugin
CORE = ("core", "kernels", "leaderboard")  # areas (see area())
# Registered names that are also ordinary words of the core's vocabulary (``limit_queries``,
# ``@limit10``, "judged"): they count only as a task or system spec inside a string
# ("limit/...", "judge[...]", "bm25>judge"), not as a word.
COMMON_WORDS = frozenset({"limit", "judge", "demo", "hashing", "synthetic"})
# (module, name): what must stay, each with its reason. Kept explicit and small.
ALLOWED = {
    # the PyPI distribution "mteb" (an optional dependency), whose version every result records
    # next to torch's and pyserini's: a package, not the task family of the same name
    ("ir_harness.store.envinfo", "mteb"),
}


def registered_names() -> set[str]:
    """Every task and system name the project's plugin tables register, minus the names that
    are also stage kinds (``SystemKind``: "lexical", "dense" name what a stage is, not a plugin)."""
    from typing import get_args

    from ir_harness.plugin_tables import builtin_plugins
    from ir_harness.protocols import SystemKind
    from ir_harness.registry import SYSTEM_GROUP, TASK_GROUP

    names = set(builtin_plugins(TASK_GROUP)) | set(builtin_plugins(SYSTEM_GROUP))
    return names - set(get_args(SystemKind))


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            out.add(id(body[0].value))
    return out


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def names_in(text: str, names: set[str], *, is_string: bool) -> set[str]:
    """Registered names that ``text`` (an identifier or a string constant) names."""
    words = _words(text)
    found = set()
    for name in names:
        if name in COMMON_WORDS:
            spec = rf"(^|>){re.escape(name)}[/\[>]|>{re.escape(name)}$"
            if is_string and re.search(spec, text.strip(), flags=re.I):
                found.add(name)
            continue
        w = _words(name)
        if any(words[i : i + len(w)] == w for i in range(len(words) - len(w) + 1)):
            found.add(name)
    return found


def plugin_names_in_core(names: set[str] | None = None) -> list[str]:
    """``module:line: name in 'text'`` for every identifier or string constant (docstrings and
    comments aside) of the core that names a registered task or system."""
    names = registered_names() if names is None else names
    out = []
    for module, path in sorted(project_modules().items()):
        if area(module) not in CORE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            text, is_string = None, False
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docs:
                    continue
                text, is_string = node.value, True
            elif isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                text = node.name
            elif isinstance(node, ast.arg):
                text = node.arg
            elif isinstance(node, ast.keyword) and node.arg:
                text = node.arg
            elif isinstance(node, ast.alias):
                text = node.asname or node.name
            if text is None:
                continue
            for name in sorted(names_in(text, names, is_string=is_string)):
                if (module, name) not in ALLOWED:
                    out.append(f"{module}:{getattr(node, 'lineno', 0)}: {name} in {text[:60]!r}")
    return sorted(set(out))


def test_core_names_no_registered_task_or_system() -> None:
    assert plugin_names_in_core() == []


def test_registered_names_come_from_the_plugin_tables() -> None:
    names = registered_names()
    assert {"bm25", "rankgpt", "lattice", "trec-dl", "beir", "llmjudge"} <= names
    assert "dense" not in names  # a stage kind as much as a system: see registered_names


def test_name_check_sees_identifiers_strings_and_specs_not_docstrings(tmp_path: Path) -> None:
    names = {"rankgpt", "trec-dl", "judge"}
    assert names_in("read_rankgpt_prompt", names, is_string=False) == {"rankgpt"}
    assert names_in("trec-dl/2019", names, is_string=True) == {"trec-dl"}
    assert names_in("TREC_DL_YEARS", names, is_string=False) == {"trec-dl"}
    assert names_in("bm25>judge", names, is_string=True) == {"judge"}
    assert names_in("judged pairs", names, is_string=True) == set()
    assert names_in("judge_pairs", names, is_string=False) == set()  # a word, not the system
    src = tmp_path / "m.py"
    src.write_text('"""rankgpt in a docstring is fine."""\nX = "rankgpt"  # a comment: rankgpt\n')
    tree = ast.parse(src.read_text())
    docs = _docstrings(tree)
    strings = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]
    assert strings == ["rankgpt"]
