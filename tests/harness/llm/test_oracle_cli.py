"""``harness oracle-sweep`` and ``harness llm-serve`` from the command line."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import pytest

from ir_harness.cli import main
from ir_harness.registry import TASKS
from tests.harness.fakes import TinyTask

if TYPE_CHECKING:
    from pathlib import Path


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    monkeypatch.setattr(sys, "argv", ["harness", *args])
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return e.value.code, out


def test_sweep_stores_one_oracle_result_per_noise_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    TASKS.register("tiny", TinyTask)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    code, out = _cli(monkeypatch, capsys, "oracle-sweep", "--system", "rankgpt", "--task",
                     "tiny/rerank", "--noise", "0,2", "--seeds", "0,1", "--results",
                     str(tmp_path / "r"), "-o", "window=2", "-o", "step=1", "--json")  # fmt: skip
    assert code in (0, None), out.err
    rows = json.loads(out.out)
    assert [(r["noise"], r["seed"]) for r in rows] == [(0, 0), (2, 0), (0, 1), (2, 1)]
    assert rows[0]["system"] == "rankgpt[llm=oracle[noise=0,seed=0],step=1,window=2]"
    assert rows[0]["main_score"] == 1.0 and rows[2]["main_score"] == 1.0
    assert len({r["result_dir"] for r in rows}) == 4
    meta = json.loads(
        (tmp_path / "r" / "tiny__rerank").glob("*/metadata.json").__next__().read_text()
    )
    stage = meta["stages"][0]
    assert stage["kind"] == "oracle" and stage["backend"] == "openai-http"
    assert stage["parameters"]["llm"]["base_url"].startswith("http://127.0.0.1:")


def test_bad_sweep_and_serve_arguments_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(monkeypatch, capsys, "llm-serve", "vllm", "--task", "demo")
    assert code == 2 and "only 'oracle'" in out.err
    code, out = _cli(monkeypatch, capsys, "oracle-sweep", "--system", "rankgpt", "--task",
                     "demo", "--noise", "0,x")  # fmt: skip
    assert code == 2 and "--noise" in out.err
    code, out = _cli(monkeypatch, capsys, "run", "--system", "judge", "--task", "demo",
                     "--llm", "oracle:sigma=1")  # fmt: skip
    assert code == 2 and "oracle option 'sigma=1'" in out.err
