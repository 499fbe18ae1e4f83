"""The memory and disk formulas grow with N, batch and k as the module docstring says."""

from __future__ import annotations

from ir_harness.kernels.topk import peak_extra_bytes
from ir_harness.plan.estimate import Phase, Plan, activation_bytes
from ir_harness.plan.fit import fitting_setting


def test_activations_linear_in_batch_and_quadratic_in_sequence() -> None:
    one = activation_bytes(1, 384, 384, 12, 128)
    assert activation_bytes(32, 384, 384, 12, 128) == 32 * one
    attention = 12 * 128 * 128 * 4 * 2
    assert activation_bytes(1, 384, 384, 12, 256) - 2 * one == 2 * attention
    assert activation_bytes(64, 384, 0, 0, 0) == 64 * 384 * 8 * 3


def test_plan_totals() -> None:
    phases = {
        "index": Phase(2.0, 100, 10),
        "search": Phase(3.0, 300, 0),
        "llm": Phase(None, None, note="5 calls"),
    }
    plan = Plan(phases, {"batch_size": 8, "dim": 4}, base_bytes=1000)
    assert plan.peak_memory_bytes == 1300
    assert plan.disk_bytes == 10
    assert plan.seconds == 5.0
    assert plan.record()["phases"]["llm"] == {
        "seconds": None,
        "peak_memory_bytes": None,
        "disk_bytes": 0,
        "note": "5 calls",
    }


def test_topk_bound_grows_with_k_not_with_corpus() -> None:
    assert peak_extra_bytes(1024, 16384, 1000, 384) > peak_extra_bytes(1024, 16384, 100, 384)


def test_fitting_setting_names_a_smaller_batch() -> None:
    act = activation_bytes(64, 384, 384, 12, 256)
    plan = Plan({"index": Phase(1.0, act + 1000)}, {"batch_size": 64, "dim": 384}, 0)
    plan.settings = {"hidden": 384, "heads": 12, "seq": 256}
    setting = fitting_setting(plan, act // 2)
    assert setting.startswith("--batch-size ")
    assert int(setting.split()[1]) < 64
