"""The runner stays a list of short phases: no function in ``ir_harness.run`` is over 60 lines
(signature, docstring and body), so a change to one phase does not mean reading the others."""

from __future__ import annotations

import ast
from pathlib import Path

RUN = Path(__file__).resolve().parents[3] / "harness" / "ir_harness" / "run"
LIMIT = 60


def long_functions(folder: Path, limit: int = LIMIT) -> list[str]:
    """``file:function (lines)`` for every function of ``folder`` longer than ``limit`` lines."""
    out = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    out.append(f"{path.name}:{node.name} ({lines} lines)")
    return out


def test_no_function_in_the_runner_is_over_60_lines() -> None:
    assert long_functions(RUN) == []


def test_the_count_sees_nested_functions_and_methods(tmp_path: Path) -> None:
    def body(indent: int) -> str:
        return "\n".join(" " * indent + f"x{i} = {i}" for i in range(LIMIT))

    (tmp_path / "m.py").write_text(
        f"class C:\n    def short(self):\n        pass\n\n    def f(self):\n{body(8)}\n"
    )
    (tmp_path / "n.py").write_text(f"def outer():\n    def inner():\n{body(8)}\n    return inner\n")
    assert long_functions(tmp_path) == [
        "m.py:f (61 lines)",
        "n.py:outer (63 lines)",
        "n.py:inner (61 lines)",
    ]
