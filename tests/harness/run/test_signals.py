"""SIGTERM held back inside ``deferred_sigterm`` and raised at our own code's next safe point."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

import pytest

from ir_harness.run.signals import Terminated, deferred_sigterm, on_sigterm, raise_if_terminated

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def handler() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):  # Python runs the handler at the next bytecode boundary
        pass


def test_outside_a_block_sigterm_raises_at_once(handler: None) -> None:
    with pytest.raises(Terminated):
        _sigterm()


def test_inside_a_block_it_is_raised_at_the_next_safe_point(handler: None) -> None:
    reached = []
    with pytest.raises(Terminated), deferred_sigterm():
        _sigterm()
        reached.append("after the signal")  # third-party code keeps running
        raise_if_terminated()
        reached.append("never")
    assert reached == ["after the signal"]
    raise_if_terminated()  # consumed: nothing pending any more


def test_leaving_the_block_raises_even_over_another_error(handler: None) -> None:
    with pytest.raises(Terminated), deferred_sigterm():
        _sigterm()
        raise ValueError("an actor failed")


def test_nested_blocks_raise_when_the_outer_one_ends(handler: None) -> None:
    order = []
    with pytest.raises(Terminated), deferred_sigterm():
        with deferred_sigterm():
            _sigterm()
        order.append("inner block left")
    assert order == ["inner block left"]


def test_a_block_without_a_signal_changes_nothing(handler: None) -> None:
    with deferred_sigterm():
        pass
    raise_if_terminated()
