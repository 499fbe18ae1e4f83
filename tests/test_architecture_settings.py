"""Settings come in at the edge: only the command line (``ir_harness.cli``) reads flags and the
environment; everything below it takes explicit parameters with defaults, so the Python API
behaves the same whatever the caller's environment holds.

The few reads that must stay below the CLI are listed with the reason (another library's own
switch, a credential convention, the environment handed to a subprocess or a worker).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from tests.test_architecture import project_modules

if TYPE_CHECKING:
    from pathlib import Path

_ENV_NAMES = {"environ", "getenv", "putenv", "unsetenv", "environb"}

# (module, variable) -> why it is read there; "*" is a read whose name is not a literal.
ALLOWED: dict[tuple[str, str], str] = {
    ("ir_harness.run.context", "HARNESS_CACHE_DIR"): (
        "the cache location, like HF_HOME: one place every process and Ray worker agrees on; "
        "RunConfig.cache_dir overrides it"
    ),
    ("ir_harness.executors.ray_executor", "HARNESS_CACHE_DIR"): (
        "handed to the Ray workers' environment, so they find the driver's cache"
    ),
    ("ir_harness.executors.ray_executor", "RAY_DISABLE_FAILURE_SIGNAL_HANDLER"): (
        "set for Ray's own processes (a library switch, not a harness setting)"
    ),
    ("ir_harness.models", "HARNESS_MODEL_DIR"): (
        "where local model copies live, like HF_HOME: read where a model id is resolved, "
        "in the driver and in Ray workers alike"
    ),
    ("ir_harness.models", "HF_HUB_OFFLINE"): (
        "the Hugging Face libraries' own switch: read so the harness agrees with them"
    ),
    ("ir_harness.llm.openai_http", "OPENAI_BASE_URL"): (
        "the OpenAI clients' convention for the endpoint"
    ),
    ("ir_harness.llm.openai_http", "OPENAI_API_KEY"): (
        "the OpenAI clients' convention for the key: a credential never travels in a flag, "
        "a config or a result"
    ),
    ("ir_harness.eval.metrics", "NUMBA_CACHE_DIR"): (
        "numba's own setting, pointed at a writable cache before numba is imported"
    ),
    ("ir_harness.systems.bm25", "JAVA_HOME"): "the JVM that Pyserini starts (subprocess plumbing)",
    ("ir_harness.systems.bm25", "OPENAI_API_KEY"): (
        "a placeholder Pyserini's import insists on, removed again (library plumbing)"
    ),
    ("ir_harness.train.cli", "TQDM_DISABLE"): ("the train command is a command line of its own"),
}


def _variable(node: ast.AST, parent: ast.AST | None) -> str:
    """The variable a read names when it is a literal (``os.environ["X"]``, ``.get("X")``,
    ``"X" in os.environ``, ``os.getenv("X")``), else ``*``."""
    key: ast.AST | None = None
    if isinstance(parent, ast.Subscript):
        key = parent.slice
    elif isinstance(parent, ast.Call) and parent.args:
        key = parent.args[0]
    elif isinstance(parent, ast.Compare) and isinstance(parent.left, ast.Constant):
        key = parent.left
    elif isinstance(parent, ast.Attribute):
        return "*"
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else "*"


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, variable) of every use of ``os.environ`` / ``os.getenv`` (and ``from os import``)."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    imported = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "os"
        for a in node.names
        if a.name in _ENV_NAMES
    }
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        hit = (
            isinstance(node, ast.Attribute)
            and node.attr in _ENV_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (isinstance(node, ast.Name) and node.id in imported)
        if not hit:
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and isinstance(parents.get(parent), ast.Call):
            call = parents[parent]  # os.environ.get("X"), os.environ.setdefault("X", ...)
            out.append((node.lineno, _variable(parent, call)))
        else:
            out.append((node.lineno, _variable(node, parent)))
    return out


def reads_below_the_cli(modules: dict[str, Path]) -> list[str]:
    return sorted(
        f"{module}:{line}: {name}"
        for module, path in modules.items()
        if not (module == "ir_harness.cli" or module.startswith("ir_harness.cli."))
        for line, name in environment_reads(path.read_text(encoding="utf-8"))
        if (module, name) not in ALLOWED
    )


def test_only_the_command_line_reads_the_environment() -> None:
    assert reads_below_the_cli(project_modules()) == []


def test_every_allowed_read_is_still_there() -> None:
    """An entry whose read was moved to the CLI is removed from the list, so it cannot hide a
    new one."""
    modules = project_modules()
    seen = {
        (module, name)
        for module, path in modules.items()
        for _, name in environment_reads(path.read_text(encoding="utf-8"))
    }
    assert sorted(set(ALLOWED) - seen) == []


def test_the_scan_sees_every_way_of_reading_the_environment() -> None:
    src = (
        "import os\nfrom os import environ as env, getenv\n"
        "a = os.environ.get('A')\nb = os.environ['B']\nc = 'C' in os.environ\n"
        "d = getenv('D')\ne = env.get('E')\nf = dict(os.environ)\ng = os.getenv(name)\n"
    )
    names = sorted(name for _, name in environment_reads(src))
    assert names == ["*", "*", "A", "B", "C", "D", "E"]
