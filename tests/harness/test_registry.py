"""Registry: entry-point discovery, laziness and helpful errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ir_harness.errors import UnknownNameError
from ir_harness.registry import SYSTEMS, TASKS, Registry, split_task_name


def test_builtin_plugins_are_discovered_from_the_plugin_tables() -> None:
    assert {"bm25", "dense"} <= set(SYSTEMS.names())
    assert {"trec-dl", "beir", "limit-small", "nfcorpus", "noveleval", "demo"} <= set(TASKS.names())


def test_did_you_mean() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'trec-dl'"):
        TASKS.get("trec-dll")


def test_register_string_target_is_lazy() -> None:
    r: Registry[object] = Registry("thing")
    r.register("x", "json:dumps")
    assert r.get("x") is json.dumps
    r.register("broken", "no_such_module_xyz:thing")
    assert "broken" in r  # registering never imports
    with pytest.raises(ModuleNotFoundError):
        r.get("broken")


def test_split_task_name() -> None:
    assert split_task_name("beir/scifact") == ("beir", "scifact")
    assert split_task_name("trec-dl/2019/bm25-top100") == ("trec-dl", "2019/bm25-top100")
    assert split_task_name("limit-small") == ("limit-small", "")


def test_listing_never_imports_heavy_libraries() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from ir_harness.cli import app;"
        "r = CliRunner().invoke(app, ['list', 'tasks', '--json']); assert r.exit_code == 0, r.output;"
        "r = CliRunner().invoke(app, ['list', 'systems', '--json']); assert r.exit_code == 0, r.output;"
        "heavy = [m for m in ('torch', 'transformers', 'pyserini', 'sentence_transformers', 'ranx', 'mteb', 'datasets') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_concurrent_first_use_sees_every_entry_point(monkeypatch) -> None:
    """The oracle server's threads load the group sources at once: none may see half a scan."""
    import threading
    import time
    from types import SimpleNamespace

    import ir_harness.plugin_tables as plugin_tables
    import ir_harness.registry as reg

    def slow_entry_points(group: str):  # yields with a pause, like a slow metadata read
        for n in ("a", "b", "c"):
            time.sleep(0.05)
            yield SimpleNamespace(name=n, value=f"m:{n}")

    monkeypatch.setattr(plugin_tables, "entry_points", slow_entry_points)
    r = reg.Registry("thing", "test.group")
    seen: list[list[str]] = []
    threads = [threading.Thread(target=lambda: seen.append(r.names())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [["a", "b", "c"]] * 4
