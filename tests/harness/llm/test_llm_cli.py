"""``harness run --llm``: the spec reaches LLM systems, accounting lands in the stored metadata."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any

import pytest

from ir_harness.cli import main
from ir_harness.registry import SYSTEMS, TASKS
from tests.harness.fakes import OverlapRetriever, TinyTask
from tests.harness.llm.test_openai_http import FaultServer, ok_body

if TYPE_CHECKING:
    from pathlib import Path


def _reverse(body: dict[str, Any]) -> tuple[int, dict[str, str], str, float]:
    n = int(re.search(r"Rank the (\d+) passages", body["messages"][-1]["content"]).group(1))
    return 200, {}, ok_body(" > ".join(f"[{i}]" for i in range(n, 0, -1))), 0.0


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> dict[str, Any]:
    monkeypatch.setattr(sys, "argv", ["harness", "run", *args, "--json", "--device", "cpu"])
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    assert e.value.code in (0, None), out.err
    return json.loads(out.out)


def test_run_with_llm_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    TASKS.register("tiny", TinyTask)
    SYSTEMS.register("overlap", OverlapRetriever)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    with FaultServer(default=_reverse) as srv:
        args = ["--system", "overlap>rankgpt", "--task", "tiny", "--llm", f"openai:m@{srv.url}",
                "-o", "window=2", "-o", "step=1"]  # fmt: skip
        first = _run(monkeypatch, capsys, *args, "--results", str(tmp_path / "r1"))
        n_calls = len(srv.requests)
        assert n_calls > 0 and first["stats"]["llm_calls"] == n_calls
        assert first["stats"]["llm_prompt_tokens"] == 7 * n_calls
        meta = json.loads(next((tmp_path / "r1").rglob("metadata.json")).read_text())
        stage = meta["stages"][1]
        assert stage["name"] == "rankgpt" and stage["backend"] == "openai-http"
        assert stage["parameters"]["llm"]["base_url"] == srv.url
        assert stage["parameters"]["llm"]["default"] is False
        second = _run(monkeypatch, capsys, *args, "--results", str(tmp_path / "r2"))
        assert len(srv.requests) == n_calls  # all from the response cache
        assert "llm_calls" not in second["stats"]
        assert second["stats"]["llm_cache_hits"] == n_calls
        assert second["metrics"] == first["metrics"]
