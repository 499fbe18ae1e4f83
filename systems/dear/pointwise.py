"""DeAR stage 1: the distilled pointwise scorer (the authors' ``simple_rerank.py``).

A Llama ``AutoModelForSequenceClassification`` with one output; the relevance of a passage is
that output logit for the pair (``"query: " + q``, ``"document: " + title + " " + text``),
truncated to 32 + 196 tokens, pad = eos, right padding. A checkpoint is either merged weights
(``abdoelsayed/dear-{3b,8b}-reranker-{ce,ranknet}-v1``) or a LoRA adapter (``...-lora-v1``, or a
folder from ``harness train --method dear-distill -o lora=true``), recognised by its
``adapter_config.json``; adapters need ``peft`` and are merged after loading, as the authors do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.systems.scoring_reranker import ScoringReranker

if TYPE_CHECKING:
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext

DEFAULT_MODEL = "abdoelsayed/dear-8b-reranker-ce-v1"
RELEASED = [
    f"abdoelsayed/dear-{size}-reranker-{loss}-{kind}"
    for size in ("3b", "8b")
    for loss in ("ce", "ranknet")
    for kind in ("v1", "lora-v1")
]


def _adapter_config(path: str) -> dict[str, Any] | None:
    """The LoRA adapter config of a local folder or Hub id, or None for plain weights."""
    local = Path(path) / "adapter_config.json"
    if local.exists():
        return json.loads(local.read_text(encoding="utf-8"))
    if Path(path).exists():
        return None
    try:
        from huggingface_hub import hf_hub_download

        return json.loads(Path(hf_hub_download(path, "adapter_config.json")).read_text("utf-8"))
    except Exception:
        return None


def require_peft() -> Any:
    """The ``peft`` module, imported only for LoRA checkpoints; its absence is a ConfigError
    pointing at the merged checkpoints, which need no extra install."""
    try:
        import peft
    except ImportError as e:
        raise ConfigError(
            "this DeAR checkpoint is a LoRA adapter: install peft (pip install peft) or use the "
            "merged checkpoint (abdoelsayed/dear-*-reranker-*-v1)"
        ) from e
    return peft


def load_scorer(model_id: str, device: str = "cpu", dtype: str = "auto") -> tuple[Any, Any, str]:
    """(tokenizer, model, resolved path) for a merged checkpoint or a LoRA adapter."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ir_harness.models import resolve_model

    resolved = resolve_model(model_id)
    torch_dtype = {
        "auto": None,
        "float32": torch.float32,
        "bfloat16": torch.bfloat16,
        "float16": torch.float16,
    }.get(dtype, "missing")
    if torch_dtype == "missing":
        raise ConfigError(
            f"dear-pointwise: dtype {dtype!r}: expected auto, float32, bfloat16, float16"
        )
    if torch_dtype is None:
        torch_dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    adapter = _adapter_config(resolved)
    if adapter is not None:
        peft = require_peft()
        base_id = resolve_model(adapter["base_model_name_or_path"])
        tok_src = resolved if (Path(resolved) / "tokenizer_config.json").exists() else base_id
        tok = AutoTokenizer.from_pretrained(tok_src)
        base = AutoModelForSequenceClassification.from_pretrained(
            base_id, num_labels=1, dtype=torch_dtype
        )
        model = peft.PeftModel.from_pretrained(base, resolved).merge_and_unload()
        resolved = f"{resolved} (LoRA on {base_id})"
    else:
        tok = AutoTokenizer.from_pretrained(resolved)
        # merged checkpoints are loaded as saved (one label), as the authors' loader does
        model = AutoModelForSequenceClassification.from_pretrained(resolved, dtype=torch_dtype)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tok.pad_token_id
    if model.config.num_labels != 1:
        raise ConfigError(
            f"{model_id}: expected a one-output scorer, got {model.config.num_labels}"
        )
    model.to(device).eval()
    return tok, model, resolved


def pair_texts(query: str, title: str, text: str) -> tuple[str, str]:
    """DeAR's input pair; the title slot stays (empty) for title-less corpora, as in training."""
    return f"query: {query}", f"document: {title} {text}"


def encode_pairs(tok: Any, pairs: list[tuple[str, str]], max_length: int, device: str) -> Any:
    """Tokenised (query, document) pairs as DeAR's scorer reads them (truncated, padded)."""
    return tok(
        [a for a, _ in pairs],
        [b for _, b in pairs],
        return_tensors="pt",
        truncation=True,
        padding=True,
        max_length=max_length,
    ).to(device)


class DeARPointwise(ScoringReranker):
    """Pointwise LLM scorer (Reranker protocol): every candidate gets its own logit."""

    name = "dear-pointwise"
    counter = "dear_pointwise_pairs"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        q_max_len: int = 32,
        p_max_len: int = 196,
        dtype: str = "auto",
    ) -> None:
        super().__init__(model, dtype)
        self.q_max_len, self.p_max_len = q_max_len, p_max_len

    def meta(self) -> SystemMeta:
        """The query and passage token budgets (inputs are cut at their sum) and the score."""
        return self._meta(
            {
                "q_max_len": self.q_max_len,
                "p_max_len": self.p_max_len,
                "score": "sequence-classification logit",
            }
        )

    def _load(self, ctx: RunContext) -> None:
        if self._model is None:
            self.device = ctx.device
            self._tok, self._model, self.resolved = load_scorer(
                self.model_id, ctx.device, self.dtype
            )

    def score(self, query: str, docs: list[tuple[str, str]], batch_size: int) -> list[float]:
        """Logits for (title, text) passages of one query."""
        import torch

        out: list[float] = []
        for i in range(0, len(docs), batch_size):
            pairs = [pair_texts(query, t, x) for t, x in docs[i : i + batch_size]]
            enc = encode_pairs(self._tok, pairs, self.q_max_len + self.p_max_len, self.device)
            with torch.inference_mode():
                logits = self._model(**enc).logits.float().view(-1)
            out.extend(logits.cpu().tolist())
        return out
