"""Building systems from names: ``bm25``, ``dense``, and pipelines ``"bm25>dense"``.

Each stage after the first reorders the previous stage's top ``rerank_depth`` documents.
Options (``--model``, ``-o key=value``) go to the stage whose constructor accepts them; with a
pipeline, prefix an option with the stage name (``dense.model=...``) to aim it at one stage.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError
from harness.protocols import Reranker, Retriever, SystemMeta
from harness.registry import SYSTEMS

_STAGE_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")


def parse_pipeline(spec: str) -> list[str]:
    stages = [s.strip() for s in spec.split(">")]
    for s in stages:
        if not _STAGE_RE.match(s):
            raise ConfigError(
                f"--system {spec!r}: stage {s!r} is not a system name (letters, digits, '-', '_', '.')"
            )
    return stages


def _accepted(factory: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return dict(options)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    return {k: v for k, v in options.items() if k in params}


@dataclass
class Pipeline:
    """A first stage followed by rerankers; a single stage is a pipeline of one."""

    names: list[str]
    stages: list[Any]
    options: dict[str, Any]

    @property
    def label(self) -> str:
        """Stable display name: stage names plus the options that were set."""
        from harness.llm.oracle.spec import label_value

        base = ">".join(self.names)
        opts = ",".join(f"{k}={label_value(k, v)}" for k, v in sorted(self.options.items()))
        return f"{base}[{opts}]" if opts else base

    def metas(self) -> list[SystemMeta]:
        return [s.meta() for s in self.stages]


def build_pipeline(spec: str, options: dict[str, Any] | None = None) -> Pipeline:
    names = parse_pipeline(spec)
    options = dict(options or {})
    stages: list[Any] = []
    used: set[str] = set()
    for i, name in enumerate(names):
        factory = SYSTEMS.get(name)
        scoped = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(f"{name}.")}
        plain = {k: v for k, v in options.items() if "." not in k}
        kwargs = {**_accepted(factory, plain), **scoped}
        used |= {k for k in plain if k in kwargs} | {f"{name}.{k}" for k in scoped}
        try:
            system = factory(**kwargs)
        except (TypeError, ValueError) as e:  # float("abc"), or a system's own range check
            raise ConfigError(f"system {name!r}: bad options {kwargs}: {e}") from e
        if i == 0 and not isinstance(system, (Retriever, Reranker)):
            raise ConfigError(f"system {name!r} is neither a retriever nor a reranker")
        if i > 0 and not isinstance(system, Reranker):
            raise ConfigError(
                f"system {name!r} cannot follow another stage: it does not implement rerank()"
            )
        stages.append(system)
    unused = set(options) - used
    if unused:
        raise ConfigError(
            f"option(s) {', '.join(sorted(unused))} are not accepted by any stage of {spec!r}"
        )
    return Pipeline(names=names, stages=stages, options=options)
