"""GPU scale check: encode N real passages with all-MiniLM-L6-v2 through the corpus embedding cache
(locally, then through Ray actors, one per GPU) and compare with plain
``SentenceTransformer.encode`` on the same texts, in the same run.

Passages: ``--corpus FILE`` (jsonl with ``_id``/``text``, or ``id<TAB>text`` tsv, optionally .gz),
its first N documents; without it, the real MS MARCO passages of ``shared/data/trec-dl`` (about
22k judged DL19/DL20 passages) repeated under new ids up to N, so lengths and vocabulary are real
but texts repeat (the output says which). Every path encodes the same texts in the same order
with the same batch size.

Prints one JSON object: texts/s of each path, the ratios to plain sentence-transformers (target:
store >= 0.9x on the GPU), the largest absolute difference between the vectors, whether the Ray
shards equal the local shards byte for byte, and peak RssAnon of this process.

On a CPU, run it small to check it works::

    python scripts/gpu_scale_check.py --n 3000 --device cpu --workers 1

On the GPU machine (one H200)::

    python scripts/gpu_scale_check.py --n 1000000 --batch-size 512
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "harness"), str(REPO)]

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ir_harness.data.model import Document


def rss_anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def real_passages(n: int, data: Path) -> Iterator[Document]:
    """The judged MS MARCO passages of trec-dl, cycled under new ids until ``n``."""
    from ir_harness.data.model import Document

    texts: list[str] = []
    for name in ("dl19_judged_passages.jsonl.gz", "dl20_judged_passages.jsonl.gz"):
        with gzip.open(data / "trec-dl" / name, "rt", encoding="utf-8") as f:
            texts.extend(json.loads(line)["doc"] for line in f if line.strip())
    if not texts:
        raise SystemExit(f"no passages under {data / 'trec-dl'}")
    for i in range(n):
        yield Document(f"p{i}", texts[i % len(texts)])


def file_passages(path: Path, n: int) -> Iterator[Document]:
    from ir_harness.corpus.sources import iter_jsonl_docs, iter_tsv_docs

    docs = iter_tsv_docs(path) if ".tsv" in path.name else iter_jsonl_docs(path)
    for i, d in enumerate(docs):
        if i >= n:
            return
        yield d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--workers", type=int, default=0, help="Ray actors (default: one per GPU)")
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--scratch", type=Path, default=None)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()

    import numpy as np

    from ir_harness.corpus.store import StoredCorpus, write_store
    from ir_harness.models import resolve_model
    from ir_harness.run.context import RunContext, resolve_device
    from ir_harness.systems.dense import DenseRetriever

    device = resolve_device(args.device)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="gpu-scale-"))
    res: dict[str, Any] = {"n": args.n, "model": args.model, "device": device}
    if device.startswith("cuda"):
        import torch

        res["gpu"] = torch.cuda.get_device_name(0)
        res["gpus"] = torch.cuda.device_count()
    workers = args.workers or res.get("gpus", 1)

    t = time.perf_counter()
    docs = file_passages(args.corpus, args.n) if args.corpus else real_passages(args.n, args.data)
    corpus = StoredCorpus(write_store(scratch / "corpus", docs))
    res["source"] = (
        str(args.corpus) if args.corpus else "shared/data/trec-dl judged passages, cycled"
    )
    res["store_build_s"] = round(time.perf_counter() - t, 1)
    texts = corpus.texts()

    # 1. plain sentence-transformers on all texts at once
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(resolve_model(args.model), device=device)
    model.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up
    t = time.perf_counter()
    plain = model.encode(
        texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    res["plain_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    del model, texts

    # 2. through the corpus embedding cache, in this process
    def through_store(executor: str, cache: Path) -> tuple[float, Any]:
        from ir_harness.executors.ray_executor import RayExecutor
        from ir_harness.run.config import LocalExecutor

        ctx = RunContext(
            device=device,
            batch_size=args.batch_size,
            cache_dir=cache,
            progress=False,
            executor=RayExecutor(workers=workers) if executor == "ray" else LocalExecutor(),
        )
        dense = DenseRetriever(model=args.model)
        dense.shard_rows = 65536
        dense.embedding_fingerprint(ctx)  # load the model before the clock starts
        t = time.perf_counter()
        dense.index(corpus, ctx)
        rate = len(corpus) / (time.perf_counter() - t)
        return rate, dense._store

    rate, store = through_store("local", scratch / "emb-local")
    res["store_texts_per_s"] = round(rate, 1)
    res["store_over_plain"] = round(rate / res["plain_texts_per_s"], 3)
    stored = np.concatenate([a for _, a in store.shards()])
    res["max_abs_diff_store_vs_plain"] = float(np.abs(stored - plain).max())
    del stored

    if not args.no_ray:
        rate, rstore = through_store("ray", scratch / "emb-ray")
        res["ray_workers"] = workers
        res["ray_texts_per_s"] = round(rate, 1)
        res["ray_over_plain"] = round(rate / res["plain_texts_per_s"], 3)
        res["ray_shards_identical_to_local"] = all(
            (store.folder / f.name).read_bytes() == f.read_bytes()
            for f in sorted(rstore.folder.glob("shard-*.npy"))
        )
    res["rss_anon_mb_at_end"] = round(rss_anon_mb())
    res["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(res, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
