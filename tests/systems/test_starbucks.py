"""Starbucks 2D Matryoshka: a grid from one forward pass equals per-pair encoding with a really
truncated model; the system runs as a retriever/embedder; grids are stored as one result."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from ir_harness import evaluate  # noqa: E402
from ir_harness.run.context import RunContext  # noqa: E402
from tests.harness.train.test_training_loop import make_tiny_model  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

TEXTS = ["Who likes Goleba?", "Mateo Dunn likes Goleba, Pogave.", "x", "Nadia likes Fazusa"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("sb"), layers=4, hidden=32, seed=3)


def test_grid_from_one_pass_equals_per_pair_encoding(tiny: Path, tmp_path: Path) -> None:
    from ir_harness.systems.starbucks import StarbucksRetriever, grid_vectors

    layers, dims = [1, 2, 3, 4], [4, 8, 16, 32]
    ref = StarbucksRetriever(model=str(tiny), normalize=True)  # normalise after slicing
    grid = grid_vectors(ref.load("cpu"), TEXTS, layers, dims, batch_size=3)
    for n in layers:
        for d in dims:
            sb = StarbucksRetriever(model=str(tiny), layers=n, dim=d, normalize=True)
            v = sb.encode(TEXTS, "query", RunContext(cache_dir=tmp_path, progress=False))
            assert v.shape == (4, d)
            np.testing.assert_allclose(grid[(n, d)], v, atol=2e-5)
            np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # sub-models really differ from each other (the test would pass vacuously otherwise)
    assert not np.allclose(grid[(1, 32)], grid[(4, 32)], atol=1e-3)


def test_full_sub_model_equals_sentence_transformers(tiny: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from ir_harness.systems.starbucks import StarbucksRetriever

    st = SentenceTransformer(str(tiny), device="cpu").encode(TEXTS, convert_to_numpy=True)
    v = StarbucksRetriever(model=str(tiny), normalize=False).encode(
        TEXTS, "query", RunContext(cache_dir=tmp_path, progress=False)
    )
    np.testing.assert_allclose(v, st, atol=2e-5)


def test_truncation_restores_the_model(tiny: Path) -> None:
    from ir_harness.train.encoder import Encoder

    enc = Encoder.load(str(tiny))
    with enc.truncated(2):
        assert len(enc.model.encoder.layer) == 2
    assert len(enc.model.encoder.layer) == 4 and enc.model.config.num_hidden_layers == 4
    with pytest.raises(ValueError):
        with enc.truncated(5):
            pass


def test_starbucks_system_runs_on_demo_and_grid_is_stored(tiny: Path, tmp_path: Path) -> None:
    from ir_harness.store.results import iter_results
    from ir_harness.systems.starbucks_grid import run_grid

    o = evaluate(
        system="starbucks",
        tasks="demo",
        results=tmp_path / "r",
        options={"model": str(tiny), "layers": 2, "dim": 8},
        progress=False,
    )
    p = o.metadata.stages[0].parameters
    assert p["layers"] == 2 and p["dim"] == 8 and o.metadata.stages[0].name == "starbucks"
    g = run_grid(str(tiny), "demo", results=tmp_path / "r", layers=[2], dims=[8])
    cells = {(c["layers"], c["dim"]): c["score"] for c in g.record.extra["grid"]}
    # the full model is always part of the grid and is the stored main score
    assert set(cells) == {(2, 8), (2, 32), (4, 8), (4, 32)}
    assert g.main_score == pytest.approx(cells[(4, 32)])
    # the (2, 8) cell from one pass equals the separately run sub-model
    assert cells[(2, 8)] == pytest.approx(o.main_score, abs=1e-6)
    stored = [m for m, _, _ in iter_results(tmp_path / "r") if "grid" in m.extra]
    assert len(stored) == 1 and stored[0].extra["grid_metric"] == "recall@2"


def test_sts_grid_on_local_stsb_file(tiny: Path, tmp_path: Path) -> None:
    from ir_harness.systems.starbucks_grid import run_grid

    d = tmp_path / "data" / "stsb"
    d.mkdir(parents=True)
    rows = [
        ("Who likes Goleba?", "Who likes Goleba?", 5.0),
        ("Mateo Dunn likes Goleba", "Nadia likes Fazusa", 1.0),
        ("Who likes Noniga?", "Who likes Goleba?", 2.5),
        ("Nadia Tanaka likes Fazusa", "Nadia likes Fazusa", 4.0),
        ("Pogave", "Mipido Maliso", 0.0),
    ]
    with open(d / "stsb-en-test.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    g = run_grid(str(tiny), "mteb/STSBenchmark", data_dir=tmp_path / "data", results=tmp_path / "r")
    cells = g.record.extra["grid"]
    assert {(c["layers"], c["dim"]) for c in cells} >= {(1, 4), (4, 32)}
    assert all(-1.0 <= c["score"] <= 1.0 for c in cells)
    full = next(c for c in cells if (c["layers"], c["dim"]) == (4, 32))
    assert g.main_metric == "cosine_spearman"
    assert g.main_score == pytest.approx(full["score"])


def test_grid_command_runs_and_prints_the_grid(tiny: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ir_harness.cli import app

    argv = ["starbucks-grid", "--task", "demo", "--model", str(tiny), "--layers", "2"]
    argv += ["--dims", "8", "--results", str(tmp_path / "r"), "--device", "cpu", "--json"]
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    cells = {(c["layers"], c["dim"]) for c in out["grid"]}
    assert out["task"] == "demo" and cells == {(2, 8), (2, 32), (4, 8), (4, 32)}
