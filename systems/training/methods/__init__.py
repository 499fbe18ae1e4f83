"""Training methods, one per module, looked up by name (``harness train --method NAME``).

A method is either ``dense`` (a loss over a batch of training examples, run by
``ir_harness.systems.training.loop`` on a sentence-transformers encoder) or ``rerank`` (a model with its own
loss over teacher-scored groups, run by ``ir_harness.systems.training.rerank_train``). Both loops take their
steps through the shared ``ir_harness.systems.training.engine``. Another package adds a method with one line
in its ``[project.entry-points."harness.training_methods"]`` table pointing at a
``DenseMethod`` or ``RerankMethodSpec``. A method's command-line options are one typed model in
``ir_harness.systems.training.options.METHOD_OPTIONS``; ``harness train``'s flags are generated from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ir_harness.errors import ConfigError
from ir_harness.registry import Registry

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

TRAINING_METHOD_GROUP = "harness.training_methods"

# Built-in methods and their loop, known without importing torch (the CLI reads this).
BUILTIN: dict[str, Literal["dense", "rerank"]] = {
    "infonce": "dense",
    "mw": "dense",
    "pgrank": "dense",
    "starbucks": "dense",
    "dear-distill": "rerank",
    "mvp": "rerank",
}


@dataclass(frozen=True)
class DenseMethod:
    """A dense-retriever method: ``loss(stepper, batch, rng)`` -> scalar tensor.

    ``stepper`` is the loop's ``Stepper`` (encoder, config, seeded generator, Starbucks pairs);
    ``sts``: whether the method also trains on STS pairs.
    """

    name: str
    loss: Callable[[Any, list[Any], random.Random], Any]
    sts: bool = False
    kind: Literal["dense"] = "dense"


@dataclass(frozen=True)
class RerankMethodSpec:
    """A reranker method: ``build(base_model, device, **options)`` -> a ``RerankMethod``."""

    name: str
    build: Callable[..., Any]
    kind: Literal["rerank"] = "rerank"


TRAINING_METHODS: Registry[Any] = Registry("training method", TRAINING_METHOD_GROUP)
for _name in BUILTIN:
    TRAINING_METHODS.register(_name, f"{__name__}.{_name.replace('-', '_')}:METHOD")


def names(kind: str | None = None) -> tuple[str, ...]:
    """Registered method names, the built-ins of ``kind`` only when it is given."""
    if kind is None:
        return tuple(TRAINING_METHODS.names())
    return tuple(n for n, k in BUILTIN.items() if k == kind)


def get_method(name: str, kind: str | None = None) -> Any:
    """The method called ``name``; unknown names list the known ones, and a method of the other
    loop is refused naming the ones this loop runs."""
    from ir_harness.errors import UnknownNameError

    try:
        method = TRAINING_METHODS.get(name)
    except UnknownNameError as e:
        raise ConfigError(f"--method {name!r}: {e}") from None
    if kind is not None and method.kind != kind:
        raise ConfigError(
            f"--method {name!r} is a {method.kind} method; expected one of "
            f"{', '.join(n for n in TRAINING_METHODS.names() if _kind(n) == kind)}"
        )
    return method


def _kind(name: str) -> str:
    return BUILTIN.get(name) or TRAINING_METHODS.get(name).kind
