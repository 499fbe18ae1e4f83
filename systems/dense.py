"""Dense bi-encoder retrieval with sentence-transformers, exact top-k from ``kernels/``.

Default model: ``sentence-transformers/all-MiniLM-L6-v2`` (resolved to the packaged local copy
when the Hub is unreachable). Embeddings are cached by text and model fingerprint, so a re-run
encodes nothing. Scores are cosine similarities (embeddings are L2-normalised).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.kernels.cpu_units import cpu_has_units
from ir_harness.models import resolve_model
from ir_harness.protocols import SystemMeta
from ir_harness.run.progress import phase_bar
from ir_harness.systems.embedding_search import EmbeddingSearch, training_record

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np

    from ir_harness.run.context import RunContext

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PRECISIONS = ("fp32", "bf16", "fp16")


def model_fingerprint(model_id: str, resolved: str, extra: dict[str, Any]) -> str:
    """Hash of what determines the vectors: weights (by file names and sizes), config, options."""
    h = hashlib.sha256(json.dumps({"id": model_id, **extra}, sort_keys=True).encode())
    p = Path(resolved)
    if p.exists():
        for f in sorted(p.rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(p)}:{f.stat().st_size}".encode())
                if f.suffix == ".json":
                    h.update(f.read_bytes())
    else:
        h.update(resolved.encode())
    return h.hexdigest()[:24]


def in_memory_fingerprint(model: Any) -> str:
    """Hash of an in-memory model's weights (``state_dict``), so the embedding cache is keyed
    by what the vectors depend on; "" when the object has no weights to hash (no caching)."""
    state = getattr(model, "state_dict", None)
    if not callable(state):
        return ""
    h = hashlib.sha256(type(model).__qualname__.encode())
    for name, tensor in sorted(state().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:24]


def model_label(model: Any) -> str:
    """A readable name for an in-memory model (its base model id when it knows one)."""
    card = getattr(model, "model_card_data", None)
    return str(getattr(card, "base_model", None) or type(model).__name__)


class DenseRetriever(EmbeddingSearch):
    """Bi-encoder retriever and reranker (it can score any candidate list).

    ``model`` is a model id or path, or an in-memory ``SentenceTransformer``(-like) object
    (the Python API's notebook case): it is used as given, cached by a hash of its weights."""

    # Through the corpus embedding cache (stored corpora only) each model call gets 8192 texts, which
    # are sorted by token count into --batch-size batches (less padding).
    store_batch = 8192
    # Through the SQLite cache (in-memory corpora) each model call gets this many texts.
    cache_group = 2048

    def __init__(
        self,
        model: str | Any = DEFAULT_MODEL,
        max_length: int | None = None,
        normalize: bool = True,
        query_prefix: str = "",
        doc_prefix: str = "",
        precision: str = "fp32",
        backend: str = "torch",
    ) -> None:
        from ir_harness.systems.dense_onnx import BACKENDS

        if precision not in PRECISIONS:
            raise ConfigError(
                f"dense: precision {precision!r}: expected one of {', '.join(PRECISIONS)}"
            )
        if backend not in BACKENDS:
            raise ConfigError(f"dense: backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        if backend != "torch" and precision != "fp32":
            raise ConfigError(
                f"dense: backend {backend} runs in fp32 only (precision {precision!r} given); "
                "use backend=onnx-int8 for a quantised model"
            )
        if backend != "torch" and not isinstance(model, str):
            raise ConfigError(
                f"dense: backend {backend} needs a model id or path; an in-memory model runs "
                "through its own encode() (backend=torch)"
            )
        self.precision = precision
        self.backend = backend
        self._onnx: Any = None  # the ONNX Runtime encoder, when backend is not torch
        self._given = None if isinstance(model, str) else model
        # Hashed now, so the name says which weights were evaluated: two fine-tuned states of
        # one model are stored apart (no hash, no caching, when the object has no weights).
        self._given_fp = in_memory_fingerprint(model) if self._given is not None else ""
        if isinstance(model, str):
            self.model_id = model
        else:
            fp = self._given_fp
            self.model_id = f"{model_label(model)}@{fp[:8]}" if fp else model_label(model)
        self.max_length = max_length
        self.normalize = normalize
        self.query_prefix = query_prefix
        self.doc_prefix = doc_prefix
        self._model: Any = None
        self._resolved = ""
        self._device = "cpu"
        self._doc_ids: list[str] = []
        self._doc_vecs: np.ndarray | None = None
        self._fp = ""
        self._width: int | None = None  # the model's vector width, once seen

    # ---------------------------------------------------------------- model and cache
    def _load(self, ctx: RunContext) -> None:
        if self._model is not None:
            return
        if self._given is not None:
            self._model, self._device = self._given, ctx.device
            fp = self._given_fp
            self._resolved = f"in-memory:{fp}" if fp else "in-memory"
            self._fp = (
                model_fingerprint(self.model_id, self._resolved, self._options()) if fp else ""
            )
            return
        from sentence_transformers import SentenceTransformer

        self._resolved = resolve_model(self.model_id)
        self._device = ctx.device
        self._model = SentenceTransformer(self._resolved, device=ctx.device)
        if self.max_length:
            self._model.max_seq_length = self.max_length
        self._fp = model_fingerprint(self.model_id, self._resolved, self._options())
        if self.backend != "torch":
            from ir_harness.systems.dense_onnx import OnnxEncoder

            weights = model_fingerprint(self.model_id, self._resolved, {})
            self._onnx = OnnxEncoder(
                self._model, self.model_id, weights, self.backend, ctx.cache_dir
            )
        log.info("dense: model %s loaded from %s on %s", self.model_id, self._resolved, ctx.device)
        if not ctx.device.startswith("cuda") and not cpu_has_units(self.precision):
            log.warning(
                "dense: precision %s on a CPU without %s units is emulated and slower than fp32 "
                "(all-MiniLM-L6-v2 on an AVX2 CPU: about 6x); use the default fp32 here",
                self.precision,
                self.precision,
            )

    def _options(self) -> dict[str, Any]:
        opts = {
            "max_len": getattr(self._model, "max_seq_length", None),
            "norm": self.normalize,
            "qp": self.query_prefix,
            "dp": self.doc_prefix,
        }
        if self.precision != "fp32":  # fp32 keys stay as they were (existing caches stay valid)
            opts["precision"] = self.precision
        if self.backend != "torch":  # likewise: torch keys stay as they were
            opts["backend"] = self.backend
        if self.backend == "onnx-int8":  # another quantisation: other vectors
            from ir_harness.systems.dense_onnx import QUANT_VERSION

            opts["quant"] = QUANT_VERSION
        return opts

    def encode(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        """Vectors through the SQLite cache (keyed by text and model fingerprint), so a re-run
        encodes only new texts; each batch's count and width are checked before it is cached, and an
        in-memory model without weights to hash is never cached."""
        from ir_harness.cache.text_embeddings import EmbeddingCache
        from ir_harness.run.model_output import check_vectors

        self._load(ctx)
        plural = "queries" if role == "query" else "documents"
        done_batches = done_texts = 0
        width = self._width  # one width for documents and queries, from the first vectors

        def batch(b: list[str]) -> np.ndarray:
            # Checked before the cache stores it: a wrong count must never be stored misaligned.
            nonlocal done_batches, done_texts, width
            vecs = check_vectors(
                self.encode_uncached(b, role, ctx),
                len(b),
                "dense",
                f"{role} batch {done_batches} ({plural} {done_texts}..{done_texts + len(b) - 1}"
                " of those to encode)",
                width,
            )
            done_batches, done_texts, width = done_batches + 1, done_texts + len(b), vecs.shape[1]
            return vecs

        if not self._fp:  # an in-memory model without weights to hash: encode, never cache
            ctx.count(f"encoded_{plural}", len(texts))
            vecs = batch(texts)
            self._width = self._width or (vecs.shape[1] if len(texts) else None)
            return vecs
        cache = EmbeddingCache(ctx.cache_dir / "embeddings", self._fp)
        try:
            bar = phase_bar(ctx, f"encode {plural}", len(texts), "text")
            # Groups of many batches: one model call (length-sorted batches inside) and one
            # SQLite commit per group, not per batch; the cache sorts what is missing by length.
            vecs, encoded, hits = cache.encode(
                texts,
                role,
                batch,
                max(ctx.batch_size, self.cache_group),
                bar.update,
                self._width,
                by_length=True,
            )
            bar.close()
        finally:
            cache.close()
        if len(texts) and self._width is None:
            self._width = int(vecs.shape[1])
        ctx.count(f"encoded_{plural}", encoded)
        ctx.count(f"cache_hits_{plural}", hits)
        log.info("dense: %s embeddings: encoded %d, %d from cache", role, encoded, hits)
        return vecs

    def encode_uncached(self, texts: list[str], role: str, ctx: RunContext) -> np.ndarray:
        """The model alone (the corpus embedding cache and the SQLite cache both call this)."""
        self._load(ctx)
        prefix = self.query_prefix if role == "query" else self.doc_prefix
        texts = [prefix + t for t in texts]
        if self._given is not None:  # a user's object: its own encode(), whatever it does
            return self._model.encode(  # type: ignore[no-any-return]
                texts,
                batch_size=ctx.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return encode_sorted(
            self._model,
            texts,
            ctx.batch_size,
            self.normalize,
            self._device,
            self.precision,
            self._onnx,
        )

    def embedding_fingerprint(self, ctx: RunContext) -> str:
        """Key of the on-disk corpus embedding cache (stored corpora are indexed through it)."""
        self._load(ctx)
        if not self._fp:  # no weights to hash: stored vectors could be taken for another model's
            raise ConfigError(
                f"dense: the in-memory model {self.model_id} has no state_dict() to key the on-disk "
                "corpus embedding cache of a stored corpus; give it one, or evaluate an in-memory corpus"
            )
        return self._fp

    # ---------------------------------------------------------------- protocols
    def meta(self) -> SystemMeta:
        """Options, similarity (cosine when normalised, else dot), precision and backend, and a
        ``harness train`` checkpoint's training record: what tells two dense rows apart."""
        params: dict[str, Any] = {
            "max_length": self.max_length,
            "normalize": self.normalize,
            "query_prefix": self.query_prefix,
            "doc_prefix": self.doc_prefix,
            "similarity": "cosine" if self.normalize else "dot",
            "precision": self.precision,
            "backend": self.backend,
        }
        rec = training_record(self._resolved) if self._resolved and not self._given else None
        if rec:  # a `harness train` checkpoint
            params["training"] = rec
        return SystemMeta(
            name="dense",
            kind="dense",
            backbone=self.model_id,
            resolved_backbone=self._resolved,
            parameters=params,
            backend="sentence-transformers" if self.backend == "torch" else "onnxruntime",
            device=self._device,
        )


def encode_sorted(
    model: Any,
    texts: list[str],
    batch_size: int,
    normalize: bool,
    device: str,
    precision: str = "fp32",
    forward: Any = None,
) -> np.ndarray:
    """What ``SentenceTransformer.encode`` does, with less around the model: batches sorted by
    token count (:func:`length_order`: less padding than sorting by characters), the next
    batch tokenised in a thread while the model runs (the fast tokenizer releases the GIL),
    vectors written into one preallocated float32 matrix, and bf16/fp16 autocast when asked
    for (matrix products in low precision, layer norms and softmax in fp32). ``forward``, when
    given, replaces the model's forward: features in, sentence embeddings (numpy) out (the ONNX
    backend). Rows come back in the order of ``texts``."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy
    import torch

    n = len(texts)
    if n == 0:
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dim = get_dim() or 0
        return numpy.zeros((0, dim), dtype=numpy.float32)
    order = length_order(model, texts)
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    dev_type = "cuda" if device.startswith("cuda") else "cpu"
    low = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    out: numpy.ndarray | None = None

    # sentence-transformers 6 renamed ``tokenize`` to ``preprocess`` (the old name warns).
    features = getattr(model, "preprocess", None) or model.tokenize

    def tokenize(b: list[int]) -> dict[str, Any]:
        return features([texts[i] for i in b])  # type: ignore[no-any-return]

    # Tokenise the next batch in a thread only where a core is free for it: on a GPU, or when
    # torch uses fewer threads than the process may run on. Where torch's threads already fill
    # every core, the overlap only preempts them (measured on 2 cores: 2,000 passages in
    # 45.9/46.9 s overlapped, 40.6/44.8 s in line).
    overlap = dev_type == "cuda" or _usable_cores() > torch.get_num_threads()
    with ThreadPoolExecutor(1) as pool, torch.inference_mode():
        nxt = pool.submit(tokenize, batches[0]) if overlap else None
        for j, b in enumerate(batches):
            if nxt is None:
                feats = tokenize(b)
            else:
                feats = nxt.result()
                if j + 1 < len(batches):
                    nxt = pool.submit(tokenize, batches[j + 1])
            if forward is not None:
                emb = torch.from_numpy(forward(feats))
            elif low is not None:
                with torch.autocast(device_type=dev_type, dtype=low):
                    emb = model(_on(feats, device))["sentence_embedding"]
            else:
                emb = model(_on(feats, device))["sentence_embedding"]
            emb = emb.float()
            if normalize:
                emb = torch.nn.functional.normalize(emb, p=2, dim=1)
            if out is None:
                out = numpy.empty((n, emb.shape[1]), dtype=numpy.float32)
            out[b] = emb.cpu().numpy()
    assert out is not None
    return out


def _on(feats: dict[str, Any], device: str) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in feats.items()}


def length_order(model: Any, texts: list[str]) -> list[int]:
    """Indices of ``texts``, most tokens first (ties: more characters first).

    A batch is padded to its longest text, so sorting by what the model sees wastes less than
    sorting by characters (what ``SentenceTransformer.encode`` does): on 20,000 TREC DL
    passages in batches of 64, 2.28M padded tokens by characters against 1.55M by tokens (1.54M
    real ones). The counts come from one extra batch call of the fast tokenizer (about 1% of the
    encoding time); a model without a ``tokenizer`` is sorted by characters.
    """
    tok = getattr(model, "tokenizer", None)
    chars = [len(t) for t in texts]
    if tok is None or not callable(tok):
        return sorted(range(len(texts)), key=lambda i: -chars[i])
    limit = getattr(model, "max_seq_length", None) or getattr(tok, "model_max_length", None)
    kw: dict[str, Any] = {"truncation": True, "max_length": limit} if limit else {}
    try:
        ids = tok(
            [t.strip() for t in texts],
            return_attention_mask=False,
            return_token_type_ids=False,
            **kw,
        )["input_ids"]
        tokens = [len(x) for x in ids]
    except Exception:  # noqa: BLE001 - only the order depends on it: fall back to characters
        return sorted(range(len(texts)), key=lambda i: -chars[i])
    return sorted(range(len(texts)), key=lambda i: (-tokens[i], -chars[i]))


def _usable_cores() -> int:
    """The cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
