"""Training methods, one per module, looked up by name (``harness train --method NAME``).

A method is either ``dense`` (a loss over a batch of training examples, run by
``ir_harness.train.loop`` on a sentence-transformers encoder) or ``rerank`` (a model with its own
loss over teacher-scored groups, run by ``ir_harness.train.rerank_train``). Both loops take their
steps through the shared ``ir_harness.train.engine``. The generic methods are registered here;
a system's own method is a line in its plugin table's ``[training_methods]`` (our systems) or in
a package's ``[project.entry-points."harness.training_methods"]``, pointing at a ``DenseMethod``
or ``RerankMethodSpec``. A method's command-line options are one typed model (its ``options``);
``harness train``'s flags are generated from them, so a method module must import torch only
inside its functions (building ``--help`` loads every method).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ir_harness.errors import ConfigError
from ir_harness.registry import Registry
from ir_harness.train.options import NoOptions, RerankOptions

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

TRAINING_METHOD_GROUP = "harness.training_methods"

# The methods that need no system of their own (their modules sit beside this one).
GENERIC = ("infonce", "mw", "pgrank")


@dataclass(frozen=True)
class DenseMethod:
    """A dense-retriever method: ``loss(stepper, batch, rng)`` -> scalar tensor.

    ``stepper`` is the loop's ``Stepper`` (encoder, config, seeded generator); ``sts``: whether
    the method also trains on STS pairs; ``setup(stepper)`` checks the configuration and keeps
    what the loss needs on the stepper before the first step; ``record(stepper, sts)`` returns
    the method's own fields of the training record.
    """

    name: str
    loss: Callable[[Any, list[Any], random.Random], Any]
    sts: bool = False
    options: type[NoOptions] = NoOptions
    setup: Callable[[Any], None] | None = None
    record: Callable[[Any, bool], dict[str, Any]] | None = None
    default_model: str | None = None
    kind: Literal["dense"] = "dense"


@dataclass(frozen=True)
class RerankMethodSpec:
    """A reranker method: ``build(base_model, device, **options)`` -> a ``RerankMethod``.

    ``group_size``: teacher-scored documents per training group unless ``-o group_size`` says
    otherwise; ``seeded``: the method takes the run's ``--seed`` as its ``seed`` option.
    """

    name: str
    build: Callable[..., Any]
    options: type[NoOptions] = RerankOptions
    default_model: str | None = None
    group_size: int = 2
    seeded: bool = False
    kind: Literal["rerank"] = "rerank"


TRAINING_METHODS: Registry[Any] = Registry("training method", TRAINING_METHOD_GROUP)
for _name in GENERIC:
    TRAINING_METHODS.register(_name, f"{__name__}.{_name}:METHOD")


def names(kind: str | None = None) -> tuple[str, ...]:
    """Registered method names, only those of ``kind`` when it is given."""
    return tuple(
        n for n in TRAINING_METHODS.names() if kind is None or TRAINING_METHODS.get(n).kind == kind
    )


def option_models() -> list[type[NoOptions]]:
    """Every registered method's options model once: the dense methods' before the reranker
    ones (help order)."""
    out: list[type[NoOptions]] = []
    specs = [TRAINING_METHODS.get(n) for n in TRAINING_METHODS.names()]
    for spec in sorted(specs, key=lambda m: m.kind == "rerank"):
        if spec.options not in out:
            out.append(spec.options)
    return out


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
            f"--method {name!r} is a {method.kind} method; expected one of {', '.join(names(kind))}"
        )
    return method
