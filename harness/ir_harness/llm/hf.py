"""Local transformers causal LMs (``hf:ID_OR_PATH``), chat-templated, greedy at temperature 0.

The id goes through ``ir_harness.models.resolve_model`` (path, ``$HARNESS_MODEL_DIR``, the Hub when
reachable), so offline runs name a local copy. No structured-output support: callers parse the
text tolerantly.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ir_harness.llm.base import Completion, Request
from ir_harness.models import resolve_model


class TransformersLLM:
    """A local transformers causal LM, one call at a time (a lock); weights load on the first
    ``generate``, so constructing it is cheap. Greedy at temperature 0, seeded sampling above."""

    backend = "transformers"
    max_concurrency = 1

    def __init__(self, model: str, *, device: str = "cpu", dtype: str = "auto") -> None:
        self.model = model
        self.device = device
        self.dtype = dtype
        self.resolved = ""
        self.fingerprint = model
        self._tok: Any = None
        self._lm: Any = None
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """Identity for result metadata; ``resolved`` (where the id was found) stays empty until the
        weights have loaded."""
        return {
            "backend": self.backend,
            "model": self.model,
            "resolved": self.resolved,
            "device": self.device,
        }

    def _load(self) -> None:
        if self._lm is not None:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.resolved = resolve_model(self.model)
        self._tok = AutoTokenizer.from_pretrained(self.resolved)
        self._lm = AutoModelForCausalLM.from_pretrained(self.resolved, dtype=self.dtype)
        self._lm.to(self.device).eval()

    def generate(self, req: Request) -> Completion:
        """One completion of the chat-templated messages (joined turns for a tokenizer without a
        template); ``stop`` strings are cut afterwards, and ``finish_reason`` is ``length`` when
        ``max_tokens`` ran out."""
        import torch

        with self._lock:
            self._load()
            tok = self._tok
            if getattr(tok, "chat_template", None):
                prompt = tok.apply_chat_template(
                    req.messages, tokenize=False, add_generation_prompt=True
                )
            else:
                prompt = "\n\n".join(m["content"] for m in req.messages) + "\n"
            enc = tok(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
            sample = req.temperature > 0
            kw: dict[str, Any] = {"max_new_tokens": req.max_tokens, "do_sample": sample}
            if sample:
                torch.manual_seed(req.seed)
                kw["temperature"] = req.temperature
            if tok.pad_token_id is None:
                kw["pad_token_id"] = tok.eos_token_id
            t0 = time.perf_counter()
            with torch.no_grad():
                out = self._lm.generate(**enc, **kw)
            latency = time.perf_counter() - t0
        n_in = enc["input_ids"].shape[1]
        new = out[0, n_in:]
        text = tok.decode(new, skip_special_tokens=True)
        for s in req.stop:
            if s in text:
                text = text[: text.index(s)]
        return Completion(
            text=text,
            prompt_tokens=int(n_in),
            completion_tokens=int(new.shape[0]),
            latency_s=latency,
            finish_reason="length" if new.shape[0] >= req.max_tokens else "stop",
        )
