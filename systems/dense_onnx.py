"""The dense encoder's transformer run through ONNX Runtime (``-o dense.backend=onnx``).

The SentenceTransformer's transformer module is exported once per (weights, opset, torch
version, quantisation) into ``<cache>/models/onnx/`` (written to a temporary file, then
renamed); pooling and normalisation are the model's own modules redone in numpy, so only models
made of a Transformer, a Pooling (mean or CLS) and an optional Normalize are accepted.
``onnx-int8`` is the same graph with its matrix products quantised to int8 (weights with one
scale per output channel, activations per batch) by
``onnxruntime.quantization.quantize_dynamic``. onnxruntime is imported only when chosen.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8")
OPSET = 17
EXPORT_VERSION = 2  # bumped when the exported graph changes (eager attention, fused)
# bumped when the int8 quantisation changes; part of the int8 file name and embedding cache key.
# 2: per-channel weight scales (per-tensor scales: median cosine 0.957 to fp32 on 1,000 TREC DL
# passages, min 0.914; per-channel: 0.994, min 0.981, at 0.95x the speed)
QUANT_VERSION = 2
_SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


def sentence_modules(model: Any, model_id: str) -> tuple[Any, str, bool]:
    """(transformer module, pooling mode, whether a Normalize module follows), or a
    ConfigError naming what the ONNX backend cannot redo outside torch."""
    mods = list(model)
    names = [type(m).__name__ for m in mods]
    bad = [n for n in names if n not in _SUPPORTED_MODULES]
    if bad or not names or names[0] != "Transformer" or names[1:2] != ["Pooling"]:
        raise ConfigError(
            f"dense.backend=onnx: model {model_id} is made of modules {names}; the ONNX backend "
            "supports Transformer, Pooling (mean or cls) and an optional Normalize only; use "
            "-o dense.backend=torch for this model"
        )
    pooling = mods[1]
    mode = getattr(pooling, "pooling_mode", None) or _pooling_mode(pooling)
    if mode not in ("mean", "cls") or getattr(pooling, "include_prompt", True) is False:
        raise ConfigError(
            f"dense.backend=onnx: model {model_id} pools with mode {mode!r}; the ONNX backend "
            "supports mean and cls pooling only; use -o dense.backend=torch for this model"
        )
    return mods[0], str(mode), names[2:] == ["Normalize"]


def _pooling_mode(pooling: Any) -> str:
    """The mode of a Pooling module of sentence-transformers before ``pooling_mode`` existed."""
    flags = {
        "cls": "pooling_mode_cls_token",
        "mean": "pooling_mode_mean_tokens",
        "max": "pooling_mode_max_tokens",
        "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    }
    on = [m for m, f in flags.items() if getattr(pooling, f, False)]
    return on[0] if len(on) == 1 else "+".join(on) or "none"


class OnnxEncoder:
    """A session over the exported transformer plus numpy pooling; ``__call__`` takes the
    features ``SentenceTransformer.preprocess`` gives and returns sentence embeddings."""

    def __init__(
        self, model: Any, model_id: str, fingerprint: str, backend: str, cache_dir: Path
    ) -> None:
        try:
            import onnxruntime
        except ImportError as e:
            raise ConfigError(
                f"dense.backend={backend} needs onnxruntime (pip install 'ir-harness[onnx]')"
            ) from e
        import torch

        self.transformer, self.pooling, self.normalized = sentence_modules(model, model_id)
        path = exported_model(self.transformer, fingerprint, backend, cache_dir)
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = torch.get_num_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(path), opts, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path

    def __call__(self, feats: dict[str, Any]) -> np.ndarray:
        import numpy

        feed = {k: _as_int64(feats[k]) for k in self.inputs}
        (hidden,) = self.session.run(["last_hidden_state"], feed)
        mask = feed["attention_mask"]
        if self.pooling == "cls":
            emb = hidden[:, 0]
        else:  # Pooling's mean: masked sum over the clamped token count
            m = mask[:, :, None].astype(numpy.float32)
            emb = (hidden * m).sum(1) / numpy.maximum(m.sum(1), 1e-9)
        emb = emb.astype(numpy.float32, copy=False)
        if self.normalized:
            emb = l2_normalize(emb)
        return emb


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """``torch.nn.functional.normalize(x, p=2, dim=1)``: rows over max(norm, 1e-12)."""
    import numpy

    norm = numpy.sqrt((x * x).sum(1, keepdims=True))
    return x / numpy.maximum(norm, 1e-12)  # type: ignore[no-any-return]


def _as_int64(v: Any) -> np.ndarray:
    import numpy

    arr = v.numpy() if hasattr(v, "numpy") else numpy.asarray(v)
    return arr.astype(numpy.int64, copy=False)  # type: ignore[no-any-return]


def exported_model(transformer: Any, fingerprint: str, backend: str, cache_dir: Path) -> Path:
    """The cached ONNX file for these weights and backend, exported (and quantised) on first
    use; a half-written file is never left under the final name."""
    import torch

    key = hashlib.sha256(
        f"{fingerprint}:{OPSET}:{EXPORT_VERSION}:{torch.__version__}".encode()
    ).hexdigest()[:24]
    root = cache_dir / "models" / "onnx"
    root.mkdir(parents=True, exist_ok=True)
    fp32 = root / f"{key}.onnx"
    if not fp32.exists():
        _export(transformer, fp32)
    if backend == "onnx":
        return fp32
    int8 = root / f"{key}.int8-q{QUANT_VERSION}.onnx"
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = int8.with_name(f".{int8.name}.{os.getpid()}.tmp")
        try:
            import onnx

            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                # the fused operators carry no inferred types; their outputs are float
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
            os.replace(tmp, int8)
        finally:
            tmp.unlink(missing_ok=True)
        log.info("dense: int8 ONNX model written to %s", int8)
    return int8


def _export(transformer: Any, target: Path) -> None:
    """Export with eager attention (a graph ONNX Runtime's BERT optimiser fuses into its
    Attention kernel, where the SDPA graph is left unfused), then fuse for BERT models."""
    import torch

    auto = transformer.auto_model
    feats = transformer.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in feats]
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    raw = target.with_name(f".{target.name}.{os.getpid()}.raw")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    config = auto.config
    attn = getattr(config, "_attn_implementation", None)
    try:
        config._attn_implementation = "eager"
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                _LastHidden(auto, names).eval(),
                tuple(feats[n] for n in names),
                str(raw),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
                do_constant_folding=True,
            )
        if getattr(config, "model_type", "") == "bert":
            from onnxruntime.transformers.optimizer import optimize_model

            fused = optimize_model(
                str(raw),
                model_type="bert",
                num_heads=config.num_attention_heads,
                hidden_size=config.hidden_size,
                opt_level=1,
            )
            fused.save_model_to_file(str(tmp))
        else:
            os.replace(raw, tmp)
        os.replace(tmp, target)
    finally:
        config._attn_implementation = attn
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    log.info("dense: ONNX model exported to %s", target)


def _last_hidden_type() -> Any:
    import torch

    class LastHidden(torch.nn.Module):
        """The Hugging Face model with positional tensors in, the last hidden state out."""

        def __init__(self, inner: Any, names: list[str]) -> None:
            super().__init__()
            self.inner, self.names = inner, names

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(self.names, args)), return_dict=True).last_hidden_state

    return LastHidden


def _LastHidden(inner: Any, names: list[str]) -> Any:  # noqa: N802 - builds a torch module
    return _last_hidden_type()(inner, names)
