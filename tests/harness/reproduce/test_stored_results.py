"""``harness reproduce`` over a copy of the checkout's results/, at CI scale.

The results here are the real stored ones. A cheap, offline one of each kind (lexical ranking,
dense encoding, LLM reranking and judging with the oracle) must reproduce identically; results whose models are
not on this machine must be refused with a reason that names the model. Every result of the
folder is reproduced by the benchmark-marked pass in ``benchmarks/test_reproduce_results.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ir_harness.reproduce.rerun import NotReproducibleError, reproduce

REPO = Path(__file__).resolve().parents[3]
RESULTS = REPO / "results"

# seconds each at CI scale, offline, one per kind of result the folder holds
CI_IDENTICAL = [
    "demo/bm25",  # lexical ranking
    "noveleval/bm25",
    "demo/dense",  # MiniLM encoding: bit for bit under the lock's sentence-transformers
    "trec-dl__2019__bm25-top100/rankgpt_llm_oracle_noise_0.5_seed_0__-118afeb3",  # LLM reranking
    "llmjudge/judge_llm_oracle_noise_0.25_seed_1__-3662b254",  # judge labels
]
# trained checkpoints (ckpt/...) are not in the checkout: refused, naming the stage's model
CI_REFUSED = {
    "trec-dl__2019__bm25-top100/mvp_model_ckpt__mvp-minilm_-e0a58bfd": (
        "stage mvp's model ckpt/mvp-minilm is not here"
    ),
    "nfcorpus/dense_model_ckpt__infonce_-a6eb893c": "stage dense's model ckpt/infonce is not here",
    "mteb__STSBenchmark/starbucks_grid_True_model_ckpt__starbucks-sts_-f61bd5c3": (
        "stage starbucks's model ckpt/starbucks-sts is not here"
    ),
}


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of results/: re-runs never go near the checkout's own folder."""
    if not RESULTS.is_dir():
        pytest.skip("no results/ folder in this checkout")
    dst = tmp_path_factory.mktemp("stored") / "results"
    shutil.copytree(RESULTS, dst)
    return dst


@pytest.mark.shared_data
@pytest.mark.parametrize("name", CI_IDENTICAL)
def test_a_stored_result_reproduces_identically(
    name: str, copied: Path, shared_data: Path, tmp_path: Path
) -> None:
    if name.endswith("/dense"):
        pytest.importorskip("sentence_transformers")
    before = {p.name: p.read_bytes() for p in (copied / name).iterdir()}
    rep = reproduce(copied / name, tmp_path / "scratch", data_dir=shared_data)
    assert rep.identical, (rep.first_moved, [c.__dict__ for c in rep.checks], rep.deltas[:5])
    assert rep.new_score == rep.stored_score
    assert {p.name: p.read_bytes() for p in (copied / name).iterdir()} == before


@pytest.mark.parametrize(("name", "reason"), sorted(CI_REFUSED.items()))
def test_a_stored_result_that_cannot_run_here_is_refused_with_the_reason(
    name: str, reason: str, copied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ir_harness.models import hub_reachable

    model = reason.split("model ")[1].split(" ")[0]
    if (Path.cwd() / model).exists():
        pytest.skip(f"{model} is on this machine")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_reachable.cache_clear()
    with pytest.raises(NotReproducibleError, match=reason):
        reproduce(copied / name, tmp_path / "scratch")
    hub_reachable.cache_clear()
    assert not (tmp_path / "scratch" / "run-1").exists()
