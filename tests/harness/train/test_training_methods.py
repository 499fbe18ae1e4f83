"""The training-method registry: one module per method, both loops look methods up by name; the
generic methods are the core's, a system's own method comes from its plugin table."""

from __future__ import annotations

import pytest

from ir_harness.errors import ConfigError
from ir_harness.train.methods import (
    GENERIC,
    TRAINING_METHODS,
    DenseMethod,
    RerankMethodSpec,
    get_method,
    names,
)


def test_every_generic_method_is_one_module_beside_the_registry() -> None:
    for name in GENERIC:
        m = get_method(name)
        assert m.name == name and m.kind == "dense" and isinstance(m, DenseMethod)
        assert TRAINING_METHODS.target(name) == f"ir_harness.train.methods.{name}:METHOD"


def test_systems_register_their_own_methods_through_the_plugin_table() -> None:
    assert TRAINING_METHODS.target("starbucks") == "ir_harness.systems.starbucks_training:METHOD"
    assert TRAINING_METHODS.target("mvp") == "ir_harness.systems.mvp.training_method:METHOD"
    for name in names():
        m = get_method(name)
        assert m.name == name
        assert isinstance(m, DenseMethod if m.kind == "dense" else RerankMethodSpec)
    assert names("dense") == ("infonce", "mw", "pgrank", "starbucks")
    assert names("rerank") == ("dear-distill", "mvp")


def test_loading_every_method_imports_no_torch() -> None:
    """``harness train --help`` reads every method's options; torch must wait for a run."""
    import subprocess
    import sys

    code = (
        "import sys; from ir_harness.train.methods import option_models; option_models(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_method_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError) as e:
        get_method("infonse")
    msg = str(e.value)
    assert "unknown training method 'infonse'; did you mean 'infonce'" in msg
    assert "known: dear-distill, infonce, mvp, mw, pgrank, starbucks" in msg


def test_a_method_of_the_other_loop_is_refused_naming_this_loops_methods() -> None:
    with pytest.raises(ConfigError, match="'mvp' is a rerank method; expected one of infonce, mw"):
        get_method("mvp", "dense")
    with pytest.raises(ConfigError, match="'mw' is a dense method; expected one of dear-distill"):
        get_method("mw", "rerank")


def test_dense_loop_refuses_unknown_method_before_loading_a_model(tmp_path) -> None:
    from ir_harness.train.loop import TrainConfig, train

    with pytest.raises(ConfigError, match="unknown training method 'nope'"):
        train(TrainConfig("nope", "no-such-model", str(tmp_path)), [object()], progress=False)


def test_rerank_loop_builds_its_method_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registered method is all a new recipe needs: make_method has no list of its own."""
    from ir_harness.train.rerank_train import RerankTrainConfig, make_method

    built: list[tuple[str, str, dict]] = []

    def build(base_model: str, device: str, **options: object) -> str:
        built.append((base_model, device, options))
        return "model"

    monkeypatch.setitem(TRAINING_METHODS._entries, "toy", None)  # removed after the test
    TRAINING_METHODS.register("toy", RerankMethodSpec("toy", build))
    cfg = RerankTrainConfig("toy", "base", "out", options={"group_size": 3})
    assert make_method(cfg, "cpu") == "model"  # type: ignore[comparison-overlap]
    assert built == [("base", "cpu", {"group_size": 3})]
