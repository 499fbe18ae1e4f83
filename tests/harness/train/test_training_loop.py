"""End to end on a tiny random BERT: every method trains, saves a checkpoint that the dense system
evaluates with its training config in the metadata, and a resumed run equals an uninterrupted one."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

torch = pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from ir_harness import evaluate  # noqa: E402


def make_tiny_model(root: Path, layers: int = 4, hidden: int = 32, seed: int = 0) -> Path:
    """A sentence-transformers folder: random BERT over the demo task's words, mean pooling."""
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from ir_harness.run.runner import load_task

    _, data = load_task("demo", None)
    words = set()
    for t in [*data.corpus.texts(), *data.queries.values()]:
        words |= set(re.findall(r"\w+|[^\w\s]", t.lower()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    hf = root / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    # transformers 5 ignores ``vocab_file=`` here (a 5-token vocabulary); pass the mapping
    tok = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    cfg = BertConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=len(vocab),
        max_position_embeddings=128,
    )
    torch.manual_seed(seed)
    BertModel(cfg).save_pretrained(hf)
    tok.save_pretrained(hf)
    assert len(tok) == len(vocab) and tok.unk_token_id not in tok(vocab[-1])["input_ids"]
    out = root / "st"
    SentenceTransformer(str(hf), device="cpu").save(str(out))
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


def _examples() -> list:
    from ir_harness.run.runner import load_task
    from ir_harness.train.data import examples_from_task
    from ir_harness.train.mining import random_miner

    _, data = load_task("demo", None)
    return examples_from_task(data, random_miner(data, 4), max_queries=24)


@pytest.mark.parametrize("method", ["infonce", "mw", "pgrank", "starbucks"])
def test_each_method_trains_and_the_checkpoint_runs_as_dense(
    method: str, tiny: Path, tmp_path: Path
) -> None:
    from ir_harness.train.loop import TrainConfig, train

    out = tmp_path / method
    cfg = TrainConfig(
        method=method,
        base_model=str(tiny),
        out=str(out),
        steps=3,
        batch_size=4,
        lr=1e-3,
        options={"pg_samples": 4, "pg_candidates": 6},
        data_source="demo",
    )
    rec = train(cfg, _examples(), progress=False)
    assert rec["steps"] == 3 and rec["method"] == method and len(rec["loss_curve"]) == 3
    saved = json.loads((out / "harness_train.json").read_text())
    assert saved["base_model"] == str(tiny) and saved["seed"] == 0
    assert not (out / ".train_state").exists()
    if method == "starbucks":
        assert saved["starbucks_pairs"] == [[1, 4], [2, 8], [3, 16], [4, 32]]
    o = evaluate(
        system="dense",
        tasks="demo",
        results=tmp_path / "res",
        options={"model": str(out)},
        progress=False,
    )
    assert 0.0 <= o.main_score <= 1.0
    training = o.metadata.stages[0].parameters["training"]
    assert training["method"] == method and training["final_loss"] == rec["final_loss"]


def test_training_changes_weights_and_lowers_loss(tiny: Path, tmp_path: Path) -> None:
    from ir_harness.train.loop import TrainConfig, train

    ex = _examples()[:8]
    cfg = TrainConfig(
        method="infonce",
        base_model=str(tiny),
        out=str(tmp_path / "m"),
        steps=30,
        batch_size=8,
        lr=3e-3,
        warmup=0.0,
        n_negatives=0,
    )
    rec = train(cfg, ex, progress=False)
    first = sum(x for _, x in rec["loss_curve"][:3]) / 3
    last = sum(x for _, x in rec["loss_curve"][-3:]) / 3
    assert last < first * 0.7


def test_resume_matches_uninterrupted_run(tiny: Path, tmp_path: Path, monkeypatch) -> None:
    from safetensors.torch import load_file

    from ir_harness.train import loop

    ex = _examples()

    def cfg(out: str) -> loop.TrainConfig:
        return loop.TrainConfig(
            method="mw", base_model=str(tiny), out=out, steps=4, batch_size=4, lr=1e-3, save_every=2
        )

    ref = loop.train(cfg(str(tmp_path / "a")), ex, progress=False)
    real = loop.Stepper.loss

    def crash_at_3(self, idx, step):
        if step == 3:
            raise KeyboardInterrupt
        return real(self, idx, step)

    monkeypatch.setattr(loop.Stepper, "loss", crash_at_3)
    with pytest.raises(KeyboardInterrupt):
        loop.train(cfg(str(tmp_path / "b")), ex, progress=False)
    assert (tmp_path / "b" / ".train_state" / "state.pt").exists()
    monkeypatch.setattr(loop.Stepper, "loss", real)
    rec = loop.train(cfg(str(tmp_path / "b")), ex, progress=False)
    assert rec["resumed_from_step"] == 2
    assert rec["final_loss"] == pytest.approx(ref["final_loss"], rel=1e-5)
    wa = load_file(tmp_path / "a" / "model.safetensors")
    wb = load_file(tmp_path / "b" / "model.safetensors")
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    # a different config must not silently continue someone else's state
    monkeypatch.setattr(loop.Stepper, "loss", crash_at_3)
    with pytest.raises(KeyboardInterrupt):
        loop.train(cfg(str(tmp_path / "c")), ex, progress=False)
    monkeypatch.setattr(loop.Stepper, "loss", real)
    other = cfg(str(tmp_path / "c"))
    other.lr = 5e-4
    from ir_harness.errors import ConfigError

    with pytest.raises(ConfigError, match="different training config"):
        loop.train(other, ex, progress=False)


def test_cli_train_then_run(tiny: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ir_harness.cli import app

    out = tmp_path / "cli-model"
    r = CliRunner().invoke(
        app,
        [
            "train",
            "--method",
            "infonce",
            "--task",
            "demo",
            "--model",
            str(tiny),
            "--out",
            str(out),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--device",
            "cpu",
            "--json",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout.strip().splitlines()[-1])
    assert (
        rec["data_source"].startswith("task:demo")
        and rec["config"]["extra"]["negatives"] == "random"
    )
    assert (out / "modules.json").exists()
    r = CliRunner().invoke(app, ["train", "--method", "mw", "--out", str(out)])
    assert r.exit_code != 0  # no training source


def test_trained_model_scored_on_its_training_queries_is_marked(tiny: Path, tmp_path: Path) -> None:
    """train on demo, run on demo: the result says "trained on these queries" with the overlap."""
    from typer.testing import CliRunner

    from ir_harness.cli import app

    out = tmp_path / "m"
    r = CliRunner().invoke(
        app,
        ["train", "--method", "infonce", "--task", "demo", "--model", str(tiny), "--out",
         str(out), "--steps", "1", "--batch-size", "4", "--device", "cpu", "--json", "--quiet",
         "--max-queries", "5"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    tq = json.loads((out / "harness_train.json").read_text())["training_queries"]
    assert (tq["task"], tq["method"], tq["n_queries"], len(tq["query_ids"])) == (
        "demo", "infonce", 5, 5,
    )  # fmt: skip
    res = evaluate(system="dense", tasks="demo", results=tmp_path / "res", progress=False,
                   options={"model": str(out)}, cache_dir=tmp_path / "cache")  # fmt: skip
    mark = res.record.trained_on_evaluated
    assert mark is not None and mark["label"] == "trained on these queries"
    assert mark["overlap"] == 5 and mark["training_task"] == "demo"
    assert res.metadata.stages[0].parameters["training"]["training_queries"] == tq


def test_an_explicit_start_model_is_never_replaced_by_the_method_default() -> None:
    from ir_harness.train.cli import DENSE_DEFAULT, start_model

    assert start_model("mvp", None) == "t5-base"  # the method's own default
    assert start_model("mvp", DENSE_DEFAULT) == DENSE_DEFAULT  # bert2bert MVP from MiniLM
    assert start_model("infonce", None) == DENSE_DEFAULT
    assert start_model("mw", "some/model") == "some/model"


# ---------------------------------------------------------------- Starbucks on STS pairs
def _sts_pairs() -> list:
    from ir_harness.run.runner import load_task
    from ir_harness.train.data import STSExample

    _, data = load_task("demo", None)
    texts = data.corpus.texts()[:16]
    return [STSExample(texts[i], texts[i + 1], float(i % 6)) for i in range(0, 16, 2)]


def _sts_stepper(tiny: Path, **kw: object) -> tuple:
    from ir_harness.train.encoder import Encoder
    from ir_harness.train.loop import Stepper, TrainConfig

    enc = Encoder.load(str(tiny))
    enc.model.eval()  # no dropout: the same vectors on every forward pass
    assert not enc.normalize  # the tiny backbone has no Normalize module, like bert-base + mean
    cfg = TrainConfig(method="starbucks", base_model=str(tiny), out="unused", options=kw)
    data = _sts_pairs()
    return enc, Stepper(cfg, enc, data), data


def test_starbucks_sts_cosent_scores_true_cosine_of_truncated_vectors(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CoSENT sees the cosine of the truncated vectors (truncate, then normalise), not dot
    products of vectors normalised at full width."""
    import torch.nn.functional as F

    from ir_harness.train import losses

    enc, stepper, data = _sts_stepper(tiny)
    seen: list = []
    real = losses.cosent_loss
    monkeypatch.setattr(
        losses,
        "cosent_loss",
        lambda cos, gold, scale=20.0: seen.append(cos) or real(cos, gold, scale),
    )
    with torch.no_grad():
        stepper.loss(list(range(len(data))), 0)
        a = enc.layer_embeddings([e.sentence1 for e in data])
        b = enc.layer_embeddings([e.sentence2 for e in data])
    want = [F.cosine_similarity(a[n][:, :d], b[n][:, :d]) for n, d in stepper.pairs]
    assert len(seen) == len(want) == 4  # (1,4) (2,8) (3,16) (4,32): full pair in the list
    for got, exp in zip(seen, want, strict=True):
        torch.testing.assert_close(got, exp.float(), rtol=1e-5, atol=1e-6)


def test_starbucks_sts_authors_kl_form_and_ours(tiny: Path) -> None:
    """Default: the authors' KL over embedding coordinates, weight 0.3, added per sub-model
    (not the last layer); 'scores' keeps our score-row KL. Without KL both are the same CoSENT."""
    from ir_harness.systems.starbucks_training import StarbucksOptions
    from ir_harness.train import losses

    assert (StarbucksOptions().sts_kl, StarbucksOptions().sts_kl_weight) == ("embedding", 0.3)
    idx = list(range(8))
    with torch.no_grad():
        enc, authors, _ = _sts_stepper(tiny)
        plain = _sts_stepper(tiny, sts_kl_weight=0.0)[1].loss(idx, 0)
        ours_no_kl = _sts_stepper(tiny, sts_kl="scores", kl_weight=0.0)[1].loss(idx, 0)
        torch.testing.assert_close(plain, ours_no_kl)
        got = authors.loss(idx, 0)
        data = _sts_pairs()
        a = enc.layer_embeddings([e.sentence1 for e in data])
        b = enc.layer_embeddings([e.sentence2 for e in data])
        teacher = torch.cat([a[4], b[4]])
        kl = sum(
            losses.embedding_kl(teacher, torch.cat([a[n], b[n]]), d)
            for n, d in authors.pairs
            if n != 4
        )
        torch.testing.assert_close(got, plain + 0.3 * kl)
        assert float(kl) > 0
        ours = _sts_stepper(tiny, sts_kl="scores")[1].loss(idx, 0)
        assert not torch.isclose(ours, got)


def test_embedding_kl_matches_its_formula_and_trains_the_teacher() -> None:
    from ir_harness.train.losses import embedding_kl

    t = torch.tensor([[1.0, 2.0, 9.0], [0.5, -1.0, 4.0]], requires_grad=True)
    s = torch.tensor([[2.0, 1.0, -3.0], [0.0, 0.0, 7.0]], requires_grad=True)
    p, q = torch.softmax(t[:, :2], -1), torch.softmax(s[:, :2], -1)
    want = (p * (p.log() - q.log())).sum() / 2  # batchmean over the first 2 coordinates
    got = embedding_kl(t, s, 2)
    torch.testing.assert_close(got, want)
    got.backward()
    assert t.grad is not None and float(t.grad.abs().sum()) > 0  # teacher not detached
    assert float(t.grad[:, 2].abs().sum()) == 0  # coordinates beyond d take no part


def test_starbucks_sts_training_records_the_loss_form(tiny: Path, tmp_path: Path) -> None:
    from ir_harness.train.loop import TrainConfig, train

    for form in ("embedding", "scores"):
        out = tmp_path / form
        cfg = TrainConfig(
            method="starbucks",
            base_model=str(tiny),
            out=str(out),
            steps=2,
            batch_size=4,
            options={"sts_kl": form},
        )
        train(cfg, _sts_pairs(), progress=False)
        rec = json.loads((out / "harness_train.json").read_text())
        assert rec["sts_loss"]["form"].startswith(form)
        assert rec["config"]["options"]["sts_kl"] == form
    assert rec["sts_loss"]["kl_weight"] == 1.0  # ours: --kl-weight
