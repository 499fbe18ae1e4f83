"""Whether a stored result's models are here: a re-run that cannot load them is refused first.

A result names each stage's model (``backbone``) and LLM (``parameters.llm.spec``). A local
checkpoint folder that is not on this machine, a Hub model with the Hub unreachable and no copy
here, or a GGUF model whose packaged file is not installed cannot be re-run: the reason names the
stage and the model, instead of a load error midway through the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ir_harness.store.results import RunMetadata

# stage kinds whose ``backbone`` is a model to load (lexical stages name an algorithm; LLM and
# oracle stages are checked by their LLM spec)
MODEL_KINDS = frozenset({"dense", "reranker", "trained"})


def _gguf_missing(spec: str) -> bool:
    from ir_harness.llm.gguf import canonical_id, packaged_available

    rest = spec.split(":", 1)[1]
    if Path(rest).expanduser().is_file():
        return False
    name = canonical_id(rest)
    return name is None or not packaged_available(name)


def _names_weights(backbone: str) -> bool:
    """A Hub id (``org/name``) or a path names weights to load; a bare word (``lucene-bm25``,
    ``hashed-bag-of-words``) names a method."""
    return "/" in backbone or backbone.startswith((".", "~"))


def missing_models(meta: RunMetadata) -> list[str]:
    """One line per stage model or LLM that this machine cannot load (empty: all are here)."""
    from ir_harness.models import model_available

    out = []
    for st in meta.stages:
        if (
            st.kind in MODEL_KINDS
            and _names_weights(st.backbone)
            and not model_available(st.backbone)
        ):
            out.append(
                f"stage {st.name}'s model {st.backbone} is not here (no such folder, none under "
                "$HARNESS_MODEL_DIR, no packaged copy, and the Hugging Face Hub is unreachable)"
            )
        llm = (st.parameters or {}).get("llm")
        spec = llm.get("spec") if isinstance(llm, dict) else None
        if isinstance(spec, str) and spec.startswith("gguf:") and _gguf_missing(spec):
            out.append(f"stage {st.name}'s LLM {spec} is not installed here (no file, no package)")
    return out
