"""The two encoder-decoders MVP runs on: the paper's T5, and a bert2bert built from an
encoder-only checkpoint (for offline work where no T5 weights are at hand).

Both offer the same four things to ``MVPModel``: ``encode`` (token states of each candidate),
``view_offset`` (where the m view tokens sit), ``decode_start`` (one decoder step from the start
embedding, cross-attending to a set of view vectors, no positions across candidates) and
``inputs`` (token ids with the view tokens in place).

bert2bert: the encoder is the checkpoint; the decoder is the same checkpoint with
``is_decoder`` and freshly initialised cross-attention (``transformers``' standard warm start);
the view tokens are ``[unused0..m-1]`` right after ``[CLS]`` (BERT keeps [CLS] at position 0),
and the decoder starts from the ``[CLS]`` embedding. This is our adaptation, not the paper's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ir_harness.errors import ConfigError


def one_decoder_step(decoder: Any, start: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """(N, n, d) memories -> (N, d): the decoder's state after one step from the ``start``
    embedding, cross-attending to all n vectors (all unmasked, no positions among them)."""
    n_rows, n, d = memory.shape
    out = decoder(
        inputs_embeds=start.view(1, 1, d).expand(n_rows, 1, d),
        encoder_hidden_states=memory,
        encoder_attention_mask=torch.ones(n_rows, n, dtype=torch.long, device=memory.device),
    ).last_hidden_state
    return out[:, 0]


class T5Backbone(nn.Module):
    """The paper's backbone: a T5 (FiD-style checkpoint) whose encoder reads each candidate and
    whose decoder pools the views."""

    kind = "t5"
    view_offset = 0

    def __init__(self, t5: Any) -> None:
        super().__init__()
        self.t5 = t5

    @classmethod
    def load(cls, folder: Path, state: dict[str, torch.Tensor]) -> T5Backbone:
        """A T5 from a config folder and a state dict (FiD key names remapped); missing untied
        weights are an error, not random init."""
        from transformers import T5Config, T5ForConditionalGeneration

        from ir_harness.systems.mvp.inputs import remap_fid_keys

        t5 = T5ForConditionalGeneration(T5Config.from_pretrained(folder))
        missing, _unexpected = t5.load_state_dict(remap_fid_keys(state), strict=False)
        tied = {"lm_head.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}
        lost = [k for k in missing if k not in tied]
        if lost:
            raise ConfigError(f"mvp: {folder} lacks {len(lost)} T5 weights, e.g. {lost[:3]}")
        t5.tie_weights()
        return cls(t5)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Token states of each candidate from the T5 encoder; the view tokens' states are read at
        ``view_offset``."""
        enc = self.t5.get_encoder()(input_ids=input_ids, attention_mask=attention_mask)
        return enc.last_hidden_state

    def decode_start(self, memory: torch.Tensor) -> torch.Tensor:
        """One decoder step from T5's decoder start token over the view vectors
        (``one_decoder_step``)."""
        start_id = self.t5.config.decoder_start_token_id
        start_id = self.t5.config.pad_token_id if start_id is None else start_id
        start = self.t5.get_input_embeddings().weight[start_id]
        return one_decoder_step(self.t5.get_decoder(), start, memory)

    def inputs(
        self, tokenizer: Any, query: str, docs: list[tuple[str, str]], n_views: int, max_length: int
    ) -> dict[str, torch.Tensor]:
        """Token ids with the m view tokens in place, as the paper lays them out
        (``encode_inputs``)."""
        from ir_harness.systems.mvp.inputs import encode_inputs

        return encode_inputs(tokenizer, query, docs, n_views, max_length)

    def save(self, out: str) -> None:
        """The T5 as a Hugging Face folder, which ``load`` (through a state dict) reads back."""
        self.t5.save_pretrained(out)


class Bert2BertBackbone(nn.Module):
    """MVP on an encoder-only checkpoint (our adaptation): the checkpoint as encoder and, with new
    cross-attention, as decoder."""

    kind = "bert2bert"
    view_offset = 1

    def __init__(self, encoder: Any, decoder: Any, start_id: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.start_id = start_id

    @classmethod
    def load(cls, folder: Path, saved: bool, tokenizer: Any) -> Bert2BertBackbone:
        """From an encoder-only checkpoint (``saved`` False: warm start, new cross-attention) or
        a folder written by ``save`` (every weight must be there)."""
        from transformers import AutoModel

        enc_dir, dec_dir = (folder / "encoder", folder / "decoder") if saved else (folder, folder)
        encoder = AutoModel.from_pretrained(enc_dir, add_pooling_layer=False)
        try:
            # the new cross-attention is drawn from a fixed seed: an untrained warm start loads
            # to the same model every time, whatever the caller's random state
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                decoder, info = AutoModel.from_pretrained(
                    dec_dir,
                    is_decoder=True,
                    add_cross_attention=True,
                    add_pooling_layer=False,
                    output_loading_info=True,
                )
        except (TypeError, ValueError) as e:
            raise ConfigError(
                f"mvp: {folder}: this encoder cannot be a decoder with cross-attention "
                f"(BERT-family checkpoints can): {e}"
            ) from e
        missing = [k for k in info["missing_keys"] if not (not saved and "crossattention" in k)]
        if missing:
            raise ConfigError(f"mvp: {dec_dir} lacks {len(missing)} weights, e.g. {missing[:3]}")
        if tokenizer.cls_token_id is None:
            raise ConfigError(f"mvp bert2bert: {folder}: the tokenizer has no [CLS] token")
        return cls(encoder, decoder, int(tokenizer.cls_token_id))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Token states of each candidate from the encoder; the view tokens follow ``[CLS]``."""
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def decode_start(self, memory: torch.Tensor) -> torch.Tensor:
        """One decoder step from the ``[CLS]`` embedding over the view vectors
        (``one_decoder_step``)."""
        start = self.decoder.get_input_embeddings().weight[self.start_id]
        return one_decoder_step(self.decoder, start, memory)

    def inputs(
        self, tokenizer: Any, query: str, docs: list[tuple[str, str]], n_views: int, max_length: int
    ) -> dict[str, torch.Tensor]:
        """``[CLS] [unused0..m-1] | Query: q | Context: title text [SEP]``, built from ids so the
        view tokens cannot be split by the tokenizer."""
        views = tokenizer.convert_tokens_to_ids([f"[unused{k}]" for k in range(n_views)])
        if tokenizer.unk_token_id in views:
            raise ConfigError(
                "mvp bert2bert: the tokenizer needs [unused0..m-1] as view tokens (a BERT vocabulary)"
            )
        texts = [f"| Query: {query} | Context: {f'{t} {x}'.strip()}" for t, x in docs]
        enc = tokenizer(texts, truncation=True, max_length=max(2, max_length - n_views))
        rows = [ids[:1] + views + ids[1:] for ids in enc["input_ids"]]
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id or 0
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        return {"input_ids": ids, "attention_mask": mask}

    def save(self, out: str) -> None:
        """Encoder and decoder in subfolders of their own, as ``load(saved=True)`` reads them."""
        self.encoder.save_pretrained(Path(out) / "encoder")
        self.decoder.save_pretrained(Path(out) / "decoder")
