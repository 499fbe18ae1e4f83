"""The measures registry: every measure by name, one module each, clear errors for unknown names."""

from __future__ import annotations

import numpy as np
import pytest

from ir_harness.errors import UnknownNameError
from ir_harness.eval.measures import MEASURES, Measure, measure

BUILTIN = ["auc_by_pool", "cohen_kappa", "kendall_tau", "krippendorff_alpha", "spearman"]


def test_builtin_measures_are_registered_one_module_each() -> None:
    assert set(BUILTIN) <= set(MEASURES.names())
    for name in BUILTIN:
        m = measure(name)
        assert isinstance(m, Measure) and m.name == name and m.description
        assert MEASURES.target(name) == f"ir_harness.eval.measures.{name}:MEASURE"


def test_unknown_measure_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as e:
        measure("cohens_kappa")
    msg = str(e.value)
    assert "unknown measure 'cohens_kappa'; did you mean 'cohen_kappa'" in msg
    assert f"known: {', '.join(BUILTIN)}" in msg


def test_measures_compute_by_name() -> None:
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    assert measure("cohen_kappa")(a, b) == pytest.approx(0.5)
    assert measure("spearman")([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert measure("kendall_tau")([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert measure("krippendorff_alpha")(np.array([0, 1, 2]), np.array([0, 1, 2])) == 1.0
    means, _, extra = measure("auc_by_pool")(
        {"q": {"d1": 2.0, "d2": 1.0}}, {"q": {"d1": 1, "d2": 0}}, pools=("top2",)
    )
    assert means["auc_global(top2)"] == 1.0 and "top2" in extra["auc_pools"]


def test_kappa_and_alpha_ignore_empty_trailing_categories() -> None:
    """The category count is a floor: LLMJudge's 4-grade calls give the generic defaults' values."""
    h, j = np.array([0, 1, 2, 1, 0]), np.array([0, 2, 2, 1, 1])
    assert measure("cohen_kappa")(h, j, 4) == measure("cohen_kappa")(h, j)
    assert measure("krippendorff_alpha")(h, j, 4) == measure("krippendorff_alpha")(h, j)


def test_declared_run_measures_merge_and_refuse_a_name_returned_twice() -> None:
    from ir_harness.eval.measures import run_measures

    run, qrels = {"q": {"d1": 2.0, "d2": 1.0}}, {"q": {"d1": 1, "d2": 0}}
    means, per_query, extra = run_measures(("auc_by_pool",), run, qrels)
    assert means["auc_global(top100)"] == 1.0 and per_query["auc(top100)"] == {"q": 1.0}
    assert run_measures((), run, qrels) == ({}, {}, {})
    with pytest.raises(ValueError, match="already returned"):
        run_measures(("auc_by_pool", "auc_by_pool"), run, qrels)
