"""CUDA check for `harness train` and Starbucks grids, on a small random BERT built in code.

Run on a GPU machine from the repo root: ``python3 scripts/gpu_train_check.py`` (well under
2 minutes on an H100/H200). Writes ``$OUT/gpu_train.json`` when ``OUT`` is set, else prints the
JSON. Without CUDA it says so and exits 0.

Checks: (1) the first-step loss of each method on CUDA (fp32) equals the CPU one; (2) each
method trains 30 steps on CUDA with mixed precision and saves a checkpoint; (3) the Starbucks
grid from one forward pass on CUDA equals per-pair encoding with truncated models, and a whole
grid on the embedded demo task is evaluated and stored.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness"))


def tiny_model(root: Path, layers: int = 6, hidden: int = 384) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from ir_harness.tasks.demo import DemoTask

    data = DemoTask().load("", None)
    words: set[str] = set()
    for t in [*data.corpus.texts(), *data.queries.values()]:
        words |= set(re.findall(r"\w+|[^\w\s]", t.lower()))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    hf = root / "hf"
    hf.mkdir(parents=True)
    (hf / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = BertTokenizerFast(vocab_file=str(hf / "vocab.txt"), do_lower_case=True)
    cfg = BertConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=6,
        intermediate_size=4 * hidden,
        vocab_size=len(vocab),
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(hf)
    tok.save_pretrained(hf)
    SentenceTransformer(str(hf), device="cpu").save(str(root / "st"))
    return root / "st"


def main() -> int:
    import torch

    if not torch.cuda.is_available():
        print("CUDA is unavailable on this machine; nothing to check (exit 0).")
        return 0
    import numpy as np

    from ir_harness.run.context import RunContext
    from ir_harness.systems.starbucks import StarbucksRetriever, grid_vectors
    from ir_harness.train.data import examples_from_task
    from ir_harness.train.encoder import Encoder
    from ir_harness.train.loop import Stepper, TrainConfig, batch_indices, train
    from ir_harness.train.mining import random_miner

    report: dict[str, Any] = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    tmp = Path(tempfile.mkdtemp())
    base = tiny_model(tmp)
    from ir_harness.tasks.demo import DemoTask

    data = DemoTask().load("", None)
    ex = examples_from_task(data, random_miner(data, 4))
    methods = ["infonce", "mw", "pgrank", "starbucks"]

    # (1) first-step loss, CPU vs CUDA in fp32 (dropout off)
    parity = {}
    for m in methods:
        vals = []
        for dev in ("cpu", "cuda"):
            torch.manual_seed(0)
            enc = Encoder.load(str(base), device=dev)
            enc.model.eval()
            cfg = TrainConfig(
                method=m, base_model=str(base), out="", batch_size=16, options={"pg_candidates": 12}
            )
            st = Stepper(cfg, enc, ex)
            if m == "pgrank":  # same Gumbel draws on both devices
                st.gen = torch.Generator(device=dev).manual_seed(0)
            vals.append(float(st.loss(batch_indices(len(ex), 16, 1, 0)[0], 0).detach()))
        parity[m] = {"cpu": vals[0], "cuda": vals[1], "abs_diff": abs(vals[0] - vals[1])}
    report["first_step_loss_cpu_vs_cuda"] = parity

    # (2) training on CUDA with mixed precision
    runs = {}
    for m in methods:
        torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        rec = train(
            TrainConfig(
                method=m,
                base_model=str(base),
                out=str(tmp / m),
                steps=30,
                batch_size=32,
                lr=1e-4,
                device="cuda",
                amp=True,
                options={"pg_candidates": 16},
                save_every=10,
            ),
            ex,
            progress=False,
        )
        runs[m] = {
            "wall_s": round(time.perf_counter() - t, 2),
            "amp": rec["amp"],
            "first_loss": rec["first_loss"],
            "final_loss": rec["final_loss"],
            "peak_mem_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1),
            "checkpoint_ok": (tmp / m / "harness_train.json").exists(),
        }
    report["train_cuda"] = runs

    # (3) Starbucks grid on CUDA: one pass vs per-pair truncated models, then a stored grid
    model = str(tmp / "starbucks")
    texts = [data.corpus[d].full_text for d in data.corpus.ids()]
    sb = StarbucksRetriever(model=model)
    grid = grid_vectors(sb.load("cuda"), texts, [1, 3, 6], [16, 64, 384])
    diffs = {}
    for n, d in [(1, 16), (3, 64), (6, 384)]:
        one = StarbucksRetriever(model=model, layers=n, dim=d)
        v = one.encode(
            texts, "document", RunContext(device="cuda", cache_dir=tmp / "c", progress=False)
        )
        diffs[f"{n}x{d}"] = float(np.abs(grid[(n, d)] - v).max())
    report["grid_vs_per_pair_max_abs_diff"] = diffs
    try:  # a stored grid needs the installed harness (ranx, entry points)
        from ir_harness.systems.starbucks_grid import run_grid

        t = time.perf_counter()
        g = run_grid(model, "demo", results=tmp / "results", device="cuda")
        report["grid_demo"] = {
            "wall_s": round(time.perf_counter() - t, 2),
            "metric": g.record.extra["grid_metric"],
            "cells": [
                {k: c[k] for k in ("layers", "dim", "score")} for c in g.record.extra["grid"]
            ],
        }
    except Exception as e:  # e.g. ranx absent, or the project not pip-installed (no entry points)
        report["grid_demo"] = f"skipped: {type(e).__name__}: {e}"
    ok = (
        all(p["abs_diff"] < 1e-3 for p in parity.values())
        and all(r["checkpoint_ok"] for r in runs.values())
        and all(v < 1e-3 for v in diffs.values())
    )
    report["ok"] = ok
    text = json.dumps(report, indent=2)
    out = os.environ.get("OUT")
    if out:
        Path(out, "gpu_train.json").write_text(text)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
