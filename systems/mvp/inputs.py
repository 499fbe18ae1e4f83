"""What goes into an MVP backbone: the authors' input text with its view tokens, checked token
ids, and the released checkpoints' parameter names mapped onto a plain T5.

Shared by ``backbone`` (which encodes inputs and loads weights) and ``model`` (which builds the
backbones), so neither imports the other's callers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    import torch


def view_prefix(n_views: int) -> str:
    """The m view tokens with nothing between them, so a T5 tokenizer puts them at 0..m-1,
    the positions whose encoder states become the relevance vectors."""
    return "".join(f"<extra_id_{k}>" for k in range(n_views))


def input_text(query: str, title: str, text: str, n_views: int) -> str:
    """The authors' passage input: view tokens, then ``| Query: q | Context: title text``."""
    ctx = f"{title} {text}".strip()
    return f"{view_prefix(n_views)} | Query: {query} | Context: {ctx}"


_FID_OUTER = re.compile(r"^encoder\.encoder\.")
_FID_BLOCK = re.compile(r"^(encoder\.block\.\d+)\.module\.")


def remap_fid_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """FiD-wrapped T5 parameter names -> plain T5 names (plain names pass unchanged)."""
    out = {}
    for k, v in state.items():
        k = _FID_BLOCK.sub(r"\1.", _FID_OUTER.sub("encoder.", k))
        out[k] = v
    return out


def encode_inputs(
    tokenizer: Any, query: str, docs: list[tuple[str, str]], n_views: int, max_length: int
) -> dict[str, torch.Tensor]:
    """Token ids (n, L) of one query's candidates; checks the view tokens sit at 0..m-1."""
    texts = [input_text(query, t, x, n_views) for t, x in docs]
    enc = tokenizer(
        texts, return_tensors="pt", padding=True, truncation=True, max_length=max_length
    )
    want = tokenizer.convert_tokens_to_ids([f"<extra_id_{k}>" for k in range(n_views)])
    if enc["input_ids"].size(1) < n_views or enc["input_ids"][:, :n_views].tolist() != [want] * len(
        texts
    ):
        raise ConfigError(
            "mvp: the tokenizer does not put <extra_id_0..m-1> at positions 0..m-1 "
            "(a T5 sentencepiece tokenizer is expected)"
        )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
