"""MVP: order invariance of the scores, the losses on hand-computed cases, checkpoint layouts,
and the training recipe on a tiny random T5 built in code."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

import pytest
import torch

from ir_harness.data.model import Corpus, Document, TaskData
from ir_harness.run.context import RunContext
from ir_harness.systems.mvp import MVP
from ir_harness.systems.mvp.inputs import encode_inputs, remap_fid_keys
from ir_harness.systems.mvp.model import listwise_loss, load_mvp, orthogonal_loss, rank_targets
from ir_harness.systems.mvp.train import teacher_ranks
from ir_harness.testing import check_system_plugin

if TYPE_CHECKING:
    from pathlib import Path

WORDS = ["Query", "Context", "|", ":", "passage", "find", "the", "best", "about", "cats", "dogs"]
WORDS += [str(i) for i in range(40)]


def tiny_tokenizer(special: list[str], pad: str, eos: str, unk: str):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate([pad, eos, unk, *special, *WORDS])}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token=unk))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tk,
        pad_token=pad,
        eos_token=eos,
        unk_token=unk,
        additional_special_tokens=special,
    )


def tiny_t5(folder: Path, fid_layout: bool = False) -> Path:
    """A 2-layer random T5 with a word-level tokenizer, saved like a checkpoint."""
    from safetensors.torch import save_file
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    tok = tiny_tokenizer([f"<extra_id_{k}>" for k in range(8)], "<pad>", "</s>", "<unk>")
    cfg = T5Config(
        vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
        num_heads=4, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )  # fmt: skip
    t5 = T5ForConditionalGeneration(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    if fid_layout:  # the authors' FiD wrapper names: encoder.encoder.block.N.module.*
        cfg.save_pretrained(folder)
        state = {}
        for k, v in t5.state_dict().items():
            if k.startswith("encoder."):
                k = "encoder." + k
                parts = k.split(".")
                if parts[2] == "block":
                    k = ".".join([*parts[:4], "module", *parts[4:]])
            state[k] = v.clone()
        save_file(state, str(folder / "model.safetensors"))
    else:
        t5.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def tiny_bert(folder: Path) -> Path:
    """A 2-layer random BERT with a word-level vocabulary holding [unused0..7]: the encoder-only
    start of a bert2bert MVP."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *[f"[unused{k}]" for k in range(8)]]
    words += [w.lower() for w in WORDS]
    tok = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)})
    cfg = BertConfig(
        vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128, pad_token_id=0,
    )  # fmt: skip
    BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


BACKBONES = {"t5": tiny_t5, "bert2bert": tiny_bert}


def fixture(n: int) -> tuple[dict[str, str], Corpus, dict[str, dict[str, float]]]:
    corpus = Corpus(
        Document(f"d{k}", f"passage {k} about {'cats' if k % 2 else 'dogs'}") for k in range(n)
    )
    return (
        {"q1": "find the best passage about cats"},
        corpus,
        {"q1": {f"d{k}": float(n - k) for k in range(n)}},
    )


def test_conforms_without_loading_weights() -> None:
    check_system_plugin(MVP)


@pytest.mark.parametrize("backbone", sorted(BACKBONES))
def test_scores_do_not_depend_on_candidate_order(tmp_path: Path, backbone: str) -> None:
    folder = BACKBONES[backbone](tmp_path / backbone)
    queries, corpus, cands = fixture(12)
    ctx = RunContext(batch_size=64, cache_dir=tmp_path)
    base = MVP(model=str(folder)).rerank(queries, corpus, cands, ctx)["q1"]
    assert len(set(round(s, 6) for s in base.values())) > 1  # not a constant scorer
    rng = random.Random(1)
    for trial in range(3):
        ids = list(cands["q1"])
        rng.shuffle(ids)
        shuffled = {"q1": {d: float(len(ids) - i) for i, d in enumerate(ids)}}
        # chunked encoding (batch_size 5) must not change anything either
        small = RunContext(batch_size=5 if trial else 64, cache_dir=tmp_path)
        got = MVP(model=str(folder)).rerank(queries, corpus, shuffled, small)["q1"]
        for d in ids:
            assert got[d] == pytest.approx(base[d], abs=1e-5)


def test_score_is_the_mean_over_views_of_anchor_dot_view_vector(tmp_path: Path) -> None:
    model, tok, _ = load_mvp(str(tiny_t5(tmp_path / "t5")), n_views=4)
    enc = encode_inputs(tok, "find cats", [("", "passage 1"), ("", "passage 2 about dogs")], 4, 64)
    with torch.no_grad():
        scores, per_view, anchors = model(enc["input_ids"][None], enc["attention_mask"][None])
        rel = model.relevance_vectors(enc["input_ids"], enc["attention_mask"])  # (n, m, d)
    for i in range(2):
        manual = sum(float(anchors[0, k] @ rel[i, k]) for k in range(4)) / 4
        assert float(scores[0, i]) == pytest.approx(manual, abs=1e-5)
    assert per_view.shape == (1, 4, 2)


def test_view_tokens_must_lead_every_passage(tmp_path: Path) -> None:
    from ir_harness.errors import ConfigError

    _, tok, _ = load_mvp(str(tiny_t5(tmp_path / "t5")))
    bad = tok.__class__(tokenizer_object=tok.backend_tokenizer, pad_token="<pad>")
    bad.backend_tokenizer.post_processor = __import__("tokenizers").processors.TemplateProcessing(
        single="<unk> $A", special_tokens=[("<unk>", 2)]
    )
    with pytest.raises(ConfigError, match="positions"):
        encode_inputs(bad, "q", [("", "passage")], 4, 32)


def test_released_fid_layout_loads_to_the_same_model(tmp_path: Path) -> None:
    plain = tiny_t5(tmp_path / "plain")
    fid = tiny_t5(tmp_path / "fid", fid_layout=True)
    queries, corpus, cands = fixture(5)
    ctx = RunContext(cache_dir=tmp_path)
    a = MVP(model=str(plain)).rerank(queries, corpus, cands, ctx)["q1"]
    b = MVP(model=str(fid)).rerank(queries, corpus, cands, ctx)["q1"]
    assert a == pytest.approx(b, abs=1e-6)
    assert remap_fid_keys({"encoder.encoder.block.3.module.layer.0.x": torch.zeros(1)}) == {
        "encoder.block.3.layer.0.x": torch.zeros(1)
    }


def test_missing_weights_are_an_error_not_a_random_model(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    from ir_harness.errors import ConfigError

    folder = tiny_t5(tmp_path / "t5")
    state = load_file(str(folder / "model.safetensors"))
    save_file(
        {k: v for k, v in state.items() if "decoder.block.1" not in k},
        str(folder / "model.safetensors"),
    )
    with pytest.raises(ConfigError, match="lacks"):
        load_mvp(str(folder))


# ---------------------------------------------------------------- losses, by hand
def test_listwise_loss_clean_and_double_softmax() -> None:
    s = torch.tensor([[0.0, math.log(3.0)]])
    y = torch.tensor([[0.0, 1.0]])
    # clean: p = softmax(s) = [1/4, 3/4]; CE = -log(3/4)
    assert float(listwise_loss(s, y, 1.0, double_softmax=False)) == pytest.approx(-math.log(0.75))
    # authors' quirk: cross-entropy over the probabilities [0.25, 0.75] as if they were logits
    want = -(0.75 - math.log(math.exp(0.25) + math.exp(0.75)))
    assert float(listwise_loss(s, y, 1.0, double_softmax=True)) == pytest.approx(want)
    # temperature divides the scores first: s / 0.5 = [0, 2 ln 3] -> p = [1/10, 9/10]
    assert float(listwise_loss(s, y, 0.5, double_softmax=False)) == pytest.approx(-math.log(0.9))


def test_rank_targets_and_teacher_ranks() -> None:
    t = rank_targets(torch.tensor([[1, 2]]), temperature=1.0)
    e1, e2 = math.exp(1.0), math.exp(0.5)
    assert t[0].tolist() == pytest.approx([e1 / (e1 + e2), e2 / (e1 + e2)])
    # positive (index 0) forced to rank 1 even with a low teacher score; others by score
    assert teacher_ranks([5.0, 9.0, 1.0, 3.0]) == [1, 2, 4, 3]


def test_orthogonal_loss() -> None:
    eye = torch.eye(4, 8).unsqueeze(0) * 3.0  # orthogonal rows (any length): loss 0
    assert float(orthogonal_loss(eye)) == pytest.approx(0.0, abs=1e-7)
    same = torch.ones(2, 2, 8)  # two identical anchors: off-diagonals 1 -> ||.||_F^2 = 2
    assert float(orthogonal_loss(same)) == pytest.approx(2.0)


# ---------------------------------------------------------------- training recipe
@pytest.mark.parametrize("backbone", sorted(BACKBONES))
def test_training_recipe_runs_and_saves_a_loadable_reranker(tmp_path: Path, backbone: str) -> None:
    from ir_harness.train.rerank_train import (
        RerankTrainConfig,
        teacher_queries,
        train_reranker,
    )

    folder = BACKBONES[backbone](tmp_path / backbone)
    queries, corpus, cands = fixture(8)
    qs = {f"q{i}": f"find the best passage about {'cats' if i % 2 else 'dogs'}" for i in range(4)}
    data = TaskData(
        corpus=corpus,
        queries=qs,
        qrels={q: {"d1" if i % 2 else "d0": 1} for i, q in enumerate(qs)},
        candidates={q: cands["q1"] for q in qs},
    )
    tq = teacher_queries(data, data.candidates or {}, min_negatives=4)
    cfg = RerankTrainConfig(
        method="mvp", base_model=str(folder), out=str(tmp_path / "out"), steps=3, batch_size=2,
        lr=1e-3, device="cpu", options={"group_size": 5, "double_softmax": False},
    )  # fmt: skip
    rec = train_reranker(cfg, tq, corpus, progress=False)
    assert rec["steps"] == 3 and math.isfinite(rec["final_loss"])
    out = MVP(model=str(tmp_path / "out")).rerank(
        queries, corpus, cands, RunContext(cache_dir=tmp_path)
    )
    assert set(out["q1"]) == set(cands["q1"])
    before = MVP(model=str(folder)).rerank(queries, corpus, cands, RunContext(cache_dir=tmp_path))
    assert out["q1"] != pytest.approx(before["q1"])  # the weights changed


# ---------------------------------------------------------------- bert2bert backbone
def test_bert2bert_puts_view_tokens_after_cls_and_reads_them(tmp_path: Path) -> None:
    model, tok, _ = load_mvp(str(tiny_bert(tmp_path / "bert")), n_views=3)
    assert model.backbone.kind == "bert2bert"
    enc = model.inputs(tok, "find cats", [("", "passage 1"), ("t", "passage 2 about dogs")], 64)
    views = tok.convert_tokens_to_ids(["[unused0]", "[unused1]", "[unused2]"])
    for row in enc["input_ids"].tolist():
        assert row[0] == tok.cls_token_id and row[1:4] == views
    with torch.no_grad():
        hidden = model.backbone.encode(enc["input_ids"], enc["attention_mask"])
        rel = model.relevance_vectors(enc["input_ids"], enc["attention_mask"])
    assert torch.equal(rel, hidden[:, 1:4])
    # truncation keeps the view tokens and the length cap
    long = model.inputs(tok, "find cats", [("", " ".join(["cats"] * 200))], 16)
    assert long["input_ids"].shape == (1, 16) and long["input_ids"][0, 1:4].tolist() == views


def test_bert2bert_warm_start_is_new_cross_attention_only_and_saved_folder_is_complete(
    tmp_path: Path,
) -> None:
    from safetensors.torch import load_file, save_file

    from ir_harness.errors import ConfigError
    from ir_harness.systems.mvp.model import save_mvp

    model, tok, _ = load_mvp(str(tiny_bert(tmp_path / "bert")))
    enc_w = model.backbone.encoder.embeddings.word_embeddings.weight
    dec_w = model.backbone.decoder.embeddings.word_embeddings.weight
    assert torch.equal(enc_w, dec_w)  # the decoder starts from the same checkpoint
    save_mvp(model, tok, str(tmp_path / "saved"))
    again, _, _ = load_mvp(str(tmp_path / "saved"))
    for (k, a), b in zip(model.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), k  # cross-attention included: nothing re-initialised
    dec = tmp_path / "saved" / "decoder" / "model.safetensors"
    state = load_file(str(dec))
    save_file({k: v for k, v in state.items() if "crossattention" not in k}, str(dec))
    with pytest.raises(ConfigError, match="lacks"):
        load_mvp(str(tmp_path / "saved"))
