"""The transformers backend on a tiny randomly initialised GPT-2 saved to disk (no download)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ir_harness.llm import LLMSession, make_llm
from ir_harness.run.context import RunContext

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> str:
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    pytest.importorskip("torch")
    words = ["[UNK]", "<eos>", "hello", "world", "relevant", "passage", "0", "1", "2", "3"]
    tok = tokenizers.Tokenizer(
        tokenizers.models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]")
    )
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", eos_token="<eos>"
    )
    cfg = transformers.GPT2Config(
        vocab_size=len(words), n_positions=64, n_embd=16, n_layer=1, n_head=2,
        bos_token_id=1, eos_token_id=1,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny-gpt2")
    transformers.GPT2LMHeadModel(cfg).save_pretrained(path)
    fast.save_pretrained(path)
    return str(path)


def test_transformers_backend_generates_and_accounts(tiny_lm: str, tmp_path: Path) -> None:
    llm = make_llm(f"hf:{tiny_lm}")
    ctx = RunContext(cache_dir=tmp_path)
    with LLMSession(llm, ctx, cache=False) as s:
        a = s.complete("hello relevant passage", max_tokens=4)
        b = s.complete("hello relevant passage", max_tokens=4)
    assert a.text == b.text  # greedy at temperature 0
    assert a.prompt_tokens == 3 and 1 <= a.completion_tokens <= 4
    assert ctx.stats["llm_calls"] == 2
    assert llm.describe()["resolved"] == tiny_lm
