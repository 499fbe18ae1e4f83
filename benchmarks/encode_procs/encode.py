"""One encoding contender in a fresh process; prints one ``ENCODE_RESULT {json}`` line.

``python encode.py st|ours N [fp32|bf16|onnx|onnx-int8] [vectors.npy]``: the first N passages (by file order,
ids de-duplicated) of the TREC DL 2019 and 2020 judged-passage files, encoded with the packaged
all-MiniLM-L6-v2 at batch size ``BENCH_BATCH`` (64, the harness default):

- ``st``: plain ``SentenceTransformer.encode`` on the list (what a sentence-transformers user
  writes; it sorts by length itself).
- ``ours``: the harness's path for an in-memory corpus, ``DenseRetriever.index`` with a fresh
  embedding cache (so every passage is encoded and written to the SQLite cache, as a first
  run does), at the given precision, or fp32 through the given ONNX backend
  (``-o dense.backend=onnx`` / ``onnx-int8``; the export is made before the clock starts).

Timed: the encoding alone, after loading the model and one untimed warm-up batch.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(os.environ.get("BENCH_DATA_DIR", "/work/shared/data")) / "trec-dl"
BATCH = int(os.environ.get("BENCH_BATCH") or 64)
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def passages(n: int) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name in ("dl19_judged_passages.jsonl.gz", "dl20_judged_passages.jsonl.gz"):
        with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                seen.setdefault(str(rec["docid"]), rec["doc"])
                if len(seen) >= n:
                    return list(seen.items())
    if len(seen) < n:
        raise SystemExit(f"only {len(seen)} passages in {DATA}, asked for {n}")
    return list(seen.items())


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    precision = sys.argv[3] if len(sys.argv) > 3 else "fp32"
    save = sys.argv[4] if len(sys.argv) > 4 else ""
    docs = passages(n)
    texts = [t for _, t in docs]
    import numpy as np
    import torch

    from ir_harness.models import resolve_model

    path = resolve_model(MODEL)
    t_load = time.perf_counter()
    if mode == "st":
        from sentence_transformers import SentenceTransformer

        if precision != "fp32":
            raise SystemExit("st runs in fp32 only")
        model = SentenceTransformer(path, device="cpu")
        model.encode(texts[:BATCH], batch_size=BATCH)  # warm-up
        load_s = time.perf_counter() - t_load
        t = time.perf_counter()
        vecs = model.encode(
            texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True
        )
        secs = time.perf_counter() - t
    else:
        from ir_harness.data.model import Corpus, Document
        from ir_harness.run.context import RunContext
        from ir_harness.systems.dense import DenseRetriever

        tmp = tempfile.TemporaryDirectory(prefix="encbench-")  # removed at exit
        cache = Path(tmp.name)
        if os.environ.get("BENCH_ONNX_DIR"):  # the exported model kept between processes
            (cache / "models").mkdir()
            (cache / "models" / "onnx").symlink_to(os.environ["BENCH_ONNX_DIR"])
        ctx = RunContext(cache_dir=cache, progress=False, batch_size=BATCH)
        backend = precision if precision.startswith("onnx") else "torch"
        system = DenseRetriever(
            MODEL, precision="fp32" if backend != "torch" else precision, backend=backend
        )
        system._load(ctx)
        system.encode_uncached(texts[:BATCH], "document", ctx)  # warm-up, not cached
        load_s = time.perf_counter() - t_load
        corpus = Corpus(Document(doc_id=i, text=t) for i, t in docs)
        t = time.perf_counter()
        system.index(corpus, ctx)
        secs = time.perf_counter() - t
        vecs = system._doc_vecs
        assert ctx.stats.get("encoded_documents") == len(set(texts)), ctx.stats
    if save:
        np.save(save, np.asarray(vecs, dtype=np.float32))
    out = {
        "mode": mode,
        "precision": precision,
        "n": n,
        "batch_size": BATCH,
        "threads": torch.get_num_threads(),
        "load_s": round(load_s, 2),
        "encode_s": round(secs, 3),
        "docs_per_s": round(n / secs, 1),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print("ENCODE_RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
